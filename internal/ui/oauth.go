package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// OAuth is GitHub's user-to-server web flow for the App's OAuth client:
// send the user to the authorize page with a state, exchange the code the
// callback receives for a token, and ask who the token belongs to. The
// token is used for that one question and then dropped.
type OAuth struct {
	ClientID     string
	ClientSecret string
	// WebURL is GitHub's web address (https://github.com, or an Enterprise
	// Server's https://host).
	WebURL string
	// APIURL is GitHub's REST API (https://api.github.com, or
	// https://host/api/v3).
	APIURL string
	// Client makes the requests; nil means http.DefaultClient.
	Client *http.Client
}

// User is the signed-in GitHub user.
type User struct {
	Login string `json:"login"`
	ID    int64  `json:"id"`
}

// AuthorizeURL is where to send the user to sign in.
func (o *OAuth) AuthorizeURL(state, redirectURI string) string {
	q := url.Values{"client_id": {o.ClientID}, "state": {state}, "redirect_uri": {redirectURI}, "allow_signup": {"false"}}
	return strings.TrimRight(o.WebURL, "/") + "/login/oauth/authorize?" + q.Encode()
}

// maxOAuthBody bounds what is read from GitHub's answers.
const maxOAuthBody = 1 << 20

// Exchange trades the callback's code for a user token.
func (o *OAuth) Exchange(ctx context.Context, code, redirectURI string) (string, error) {
	form := url.Values{"client_id": {o.ClientID}, "client_secret": {o.ClientSecret}, "code": {code}, "redirect_uri": {redirectURI}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(o.WebURL, "/")+"/login/oauth/access_token", strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("exchange the sign-in code: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	var body struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if err := o.do(req, &body); err != nil {
		return "", fmt.Errorf("exchange the sign-in code: %w", err)
	}
	// GitHub answers a bad code with 200 and an error field.
	if body.Error != "" {
		return "", fmt.Errorf("exchange the sign-in code: GitHub says %s: %s", body.Error, body.Description)
	}
	if body.AccessToken == "" {
		return "", fmt.Errorf("exchange the sign-in code: GitHub returned no token")
	}
	return body.AccessToken, nil
}

// User asks GitHub whose token this is.
func (o *OAuth) User(ctx context.Context, token string) (User, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(o.APIURL, "/")+"/user", nil)
	if err != nil {
		return User{}, fmt.Errorf("read the signed-in user: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/vnd.github+json")
	var u User
	if err := o.do(req, &u); err != nil {
		return User{}, fmt.Errorf("read the signed-in user: %w", err)
	}
	if u.Login == "" {
		return User{}, fmt.Errorf("read the signed-in user: GitHub returned no login")
	}
	return u, nil
}

func (o *OAuth) do(req *http.Request, into any) error {
	client := o.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxOAuthBody))
	if err != nil {
		return fmt.Errorf("read GitHub's answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GitHub answered %s", resp.Status)
	}
	if err := json.Unmarshal(data, into); err != nil {
		return fmt.Errorf("GitHub's answer is not JSON: %w", err)
	}
	return nil
}
