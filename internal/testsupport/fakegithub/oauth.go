package fakegithub

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"
)

// The App's OAuth client, as the App's settings page shows it. GitHub's web
// flow: the browser goes to /login/oauth/authorize, the user approves, and
// GitHub sends it back to the App's callback with a code; the App trades
// the code for a user token at /login/oauth/access_token and asks GET /user
// whose token it is.
const (
	OAuthClientID     = "Iv23liFakeClient01"
	OAuthClientSecret = "fake-oauth-client-secret-0123456789abcdef"
)

type oauthCode struct {
	login       string
	redirectURI string
}

// SignInCode is the code GitHub would hand the App's callback after login
// approved signing in, bound to the redirect URI the authorization asked
// for. It works once.
func (s *Server) SignInCode(login, redirectURI string) string {
	code := randomHex(10)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.oauthCodes == nil {
		s.oauthCodes = map[string]oauthCode{}
	}
	s.oauthCodes[code] = oauthCode{login: login, redirectURI: redirectURI}
	return code
}

// oauthRoutes serves the OAuth web flow's token exchange (outside the REST
// API, on GitHub's web host).
func (s *Server) oauthRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /login/oauth/access_token", func(w http.ResponseWriter, r *http.Request) {
		idx := s.log(Request{Method: r.Method, Route: "/login/oauth/access_token", Path: r.URL.Path, UserAgent: r.UserAgent()})
		status, body := s.exchangeCode(r)
		s.mu.Lock()
		s.requests[idx].Status = status
		s.mu.Unlock()
		writeJSON(w, status, body)
	})
}

// exchangeCode answers as GitHub does: 200 with an error field for a bad
// client or code, 200 with a token for a good one.
func (s *Server) exchangeCode(r *http.Request) (int, map[string]any) {
	r.Body = http.MaxBytesReader(nil, r.Body, 1<<16)
	if err := r.ParseForm(); err != nil {
		return 400, map[string]any{"error": "bad_request"}
	}
	f := r.PostForm
	if f.Get("client_id") != OAuthClientID || subtle.ConstantTimeCompare([]byte(f.Get("client_secret")), []byte(OAuthClientSecret)) != 1 {
		return 200, map[string]any{"error": "incorrect_client_credentials", "error_description": "The client_id and/or client_secret passed are incorrect."}
	}
	s.mu.Lock()
	c, ok := s.oauthCodes[f.Get("code")]
	delete(s.oauthCodes, f.Get("code"))
	s.mu.Unlock()
	if !ok {
		return 200, map[string]any{"error": "bad_verification_code", "error_description": "The code passed is incorrect or expired."}
	}
	if uri := f.Get("redirect_uri"); uri != "" && !sameURI(uri, c.redirectURI) {
		return 200, map[string]any{"error": "redirect_uri_mismatch", "error_description": "The redirect_uri MUST match the registered callback URL for this application."}
	}
	tok := "ghu_" + randomHex(18)
	s.mu.Lock()
	if s.userTokens == nil {
		s.userTokens = map[string]string{}
	}
	s.userTokens[tok] = c.login
	s.mu.Unlock()
	return 200, map[string]any{"access_token": tok, "token_type": "bearer", "scope": ""}
}

func sameURI(a, b string) bool {
	ua, errA := url.Parse(a)
	ub, errB := url.Parse(b)
	return errA == nil && errB == nil && ua.String() == ub.String()
}

// getUser implements GET /user for a user token: the public profile.
func (s *Server) getUser(w *responder, r *http.Request) (int, any) {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		raw, ok = strings.CutPrefix(r.Header.Get("Authorization"), "token ")
	}
	s.mu.Lock()
	login, known := s.userTokens[raw]
	s.mu.Unlock()
	if !ok || !known {
		return 401, errorBody("Requires authentication")
	}
	u := s.userJSON(login, "User")
	created := ts(s.now().AddDate(-3, 0, 0))
	for k, v := range map[string]any{
		"user_view_type": "public", "name": nil, "company": nil, "blog": "", "location": nil, "email": nil,
		"hireable": nil, "bio": nil, "public_repos": 0, "public_gists": 0, "followers": 0, "following": 0,
		"created_at": created, "updated_at": created,
	} {
		u[k] = v
	}
	return 200, u
}
