package appsetup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/golang-jwt/jwt/v4"

	"github.com/mergeguard/mergeguard/internal/version"
)

// Conversion is what GitHub returns for a manifest code: the new App and its
// credentials. The OAuth client (ClientID, ClientSecret) signs people in to
// the web view; mergeguard never acts on their behalf.
type Conversion struct {
	ID            int64  `json:"id"`
	Slug          string `json:"slug"`
	Name          string `json:"name"`
	HTMLURL       string `json:"html_url"`
	ClientID      string `json:"client_id"`
	ClientSecret  string `json:"client_secret"`
	WebhookSecret string `json:"webhook_secret"`
	PEM           string `json:"pem"`
	Owner         struct {
		Login string `json:"login"`
	} `json:"owner"`
}

// ExchangeError is GitHub refusing the code.
type ExchangeError struct {
	Status  int
	Message string
}

func (e *ExchangeError) Error() string {
	switch e.Status {
	case http.StatusNotFound:
		return "GitHub does not know this manifest code (it works once and expires after an hour): run mergeguard setup again" + again
	case http.StatusUnprocessableEntity:
		return fmt.Sprintf("GitHub refused the manifest code (422: %s): run mergeguard setup again", e.Message) + again
	}
	return fmt.Sprintf("GitHub answered %d to the manifest code exchange (%s): try mergeguard setup again later", e.Status, e.Message)
}

// again is what to know before trying again: the App may exist already, and
// App names are unique.
const again = " (if GitHub created the App, delete it on its settings page first, or give another --name)"

// maxConversion bounds GitHub's answer: an App description and one key.
const maxConversion = 1 << 20

// Exchange trades a manifest code for the App's credentials:
// POST {apiURL}app-manifests/{code}/conversions, which takes no
// authentication (the code is the credential). apiURL ends with a slash.
func Exchange(ctx context.Context, client *http.Client, apiURL, code string) (Conversion, error) {
	endpoint := apiURL + "app-manifests/" + url.PathEscape(code) + "/conversions"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, nil)
	if err != nil {
		return Conversion{}, fmt.Errorf("exchange the manifest code: %w", err)
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	req.Header.Set("User-Agent", version.UserAgent())
	resp, err := client.Do(req)
	if err != nil {
		return Conversion{}, fmt.Errorf("exchange the manifest code with GitHub at %s: %w", apiURL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxConversion+1))
	if err != nil {
		return Conversion{}, fmt.Errorf("read GitHub's answer to the manifest code: %w", err)
	}
	if resp.StatusCode != http.StatusCreated {
		var e struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(body, &e)
		if e.Message == "" {
			e.Message = http.StatusText(resp.StatusCode)
		}
		return Conversion{}, &ExchangeError{Status: resp.StatusCode, Message: e.Message}
	}
	if len(body) > maxConversion {
		return Conversion{}, errors.New("GitHub's answer to the manifest code is larger than 1 MiB; it should describe one App")
	}
	var c Conversion
	if err := json.Unmarshal(body, &c); err != nil {
		return Conversion{}, fmt.Errorf("GitHub's answer to the manifest code is not the App's JSON: %w", err)
	}
	if err := c.validate(); err != nil {
		return Conversion{}, err
	}
	return c, nil
}

// validate makes sure the credentials will work before anything is written.
func (c Conversion) validate() error {
	if c.ID <= 0 {
		return errors.New("GitHub's answer to the manifest code has no App ID")
	}
	if _, err := jwt.ParseRSAPrivateKeyFromPEM([]byte(c.PEM)); err != nil {
		return fmt.Errorf("the private key GitHub returned for App %d does not parse (%v): generate one on the App's settings page (%s)", c.ID, err, c.HTMLURL)
	}
	if strings.TrimSpace(c.WebhookSecret) == "" {
		return fmt.Errorf("GitHub returned no webhook secret for App %d: set one on the App's settings page (%s) and give it to mergeguard as MERGEGUARD_WEBHOOK_SECRET", c.ID, c.HTMLURL)
	}
	if strings.ContainsAny(c.WebhookSecret, "\r\n") {
		return fmt.Errorf("the webhook secret GitHub returned for App %d spans lines; set a new one on the App's settings page (%s)", c.ID, c.HTMLURL)
	}
	return nil
}
