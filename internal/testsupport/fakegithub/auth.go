package fakegithub

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v4"
)

// authenticate checks credentials the way GitHub does. It returns status 0
// when the request may proceed.
func (s *Server) authenticate(rt route, w *responder, r *http.Request) (int, any) {
	authz := r.Header.Get("Authorization")
	switch rt.auth {
	case "jwt":
		raw, ok := strings.CutPrefix(authz, "Bearer ")
		if !ok {
			return 401, errorBody("A JSON web token could not be decoded")
		}
		claims := &jwt.RegisteredClaims{}
		_, err := jwt.ParseWithClaims(raw, claims, func(t *jwt.Token) (any, error) {
			if t.Method != jwt.SigningMethodRS256 {
				return nil, jwt.ErrSignatureInvalid
			}
			return &s.key.PublicKey, nil
		})
		if err != nil {
			return 401, errorBody("A JSON web token could not be decoded: " + err.Error())
		}
		if claims.Issuer != strconv.FormatInt(s.appID, 10) {
			return 401, errorBody("'Issuer' claim ('iss') must be the App ID")
		}
		if claims.ExpiresAt == nil || claims.IssuedAt == nil || claims.ExpiresAt.Sub(claims.IssuedAt.Time) > 10*time.Minute+time.Minute {
			return 401, errorBody("'Expiration time' claim ('exp') is too far in the future")
		}
		return 0, nil
	case "token":
		raw, ok := strings.CutPrefix(authz, "token ")
		if !ok {
			raw, ok = strings.CutPrefix(authz, "Bearer ")
		}
		s.mu.Lock()
		tok, known := s.tokens[raw]
		s.mu.Unlock()
		if !ok || !known {
			return 401, errorBody("Bad credentials")
		}
		if s.now().After(tok.expires) {
			return 401, errorBody("Bad credentials")
		}
		w.installation = tok.installation
		// A token only sees its installation's repositories; others are 404.
		if owner, repo := r.PathValue("owner"), r.PathValue("repo"); owner != "" {
			rp := s.repo(owner, repo)
			if rp == nil || rp.installation != tok.installation {
				return 404, errorBody("Not Found")
			}
		}
		return 0, nil
	}
	return 0, nil
}

// createToken implements POST /app/installations/{installation_id}/access_tokens.
func (s *Server) createToken(w *responder, r *http.Request) (int, any) {
	id, err := strconv.ParseInt(r.PathValue("installation_id"), 10, 64)
	s.mu.Lock()
	defer s.mu.Unlock()
	inst := s.installations[id]
	if err != nil || inst == nil {
		return 404, errorBody("Not Found")
	}
	var b [20]byte
	_, _ = rand.Read(b[:])
	tok := "ghs_" + hex.EncodeToString(b[:])
	expires := s.now().Add(time.Hour).UTC().Truncate(time.Second)
	s.tokens[tok] = token{installation: id, expires: expires}
	w.installation = id
	return 201, map[string]any{
		"token":                tok,
		"expires_at":           expires.Format(time.RFC3339),
		"permissions":          map[string]string{"checks": "write", "pull_requests": "read", "contents": "read", "metadata": "read", "members": "read", "issues": "write"},
		"repository_selection": "all",
	}
}

// Tokens counts the installation tokens the fake has issued.
func (s *Server) Tokens() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.tokens)
}

// PersonalToken issues a long-lived token that sees an installation's
// repositories, like a personal access token given to `mergeguard eval`.
func (s *Server) PersonalToken(installation int64) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b [20]byte
	_, _ = rand.Read(b[:])
	tok := "ghp_" + hex.EncodeToString(b[:])
	s.tokens[tok] = token{installation: installation, expires: s.now().Add(24 * time.Hour)}
	return tok
}

// Direct sends one request to the fake with a personal token of the
// installation, outside any client of the app: a test sees the answer as the
// fake sends it (no retries, no cache, no rate-limit memory). path is below
// the API root ("/repos/acme/shop/pulls/1"). The request is logged like any
// other.
func (s *Server) Direct(installation int64, method, path, body string) (status int, header http.Header, answer string) {
	s.t.Helper()
	s.mu.Lock()
	if s.direct == nil {
		s.direct = map[int64]string{}
	}
	tok, ok := s.direct[installation]
	s.mu.Unlock()
	if !ok {
		tok = s.PersonalToken(installation)
		s.mu.Lock()
		s.direct[installation] = tok
		s.mu.Unlock()
	}
	req, err := http.NewRequest(method, strings.TrimSuffix(s.URL(), "/")+path, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}
