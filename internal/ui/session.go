package ui

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Cookie names. The __Host- prefix makes the browser refuse the cookie
// unless it is Secure, has Path=/ and no Domain, so a sibling host cannot
// plant one.
const (
	sessionCookie = "__Host-mergeguard-session"
	stateCookie   = "__Host-mergeguard-oauth"
)

// MinSessionKey is the shortest session key accepted, in bytes.
const MinSessionKey = 32

// session is what the session cookie carries: who signed in, until when,
// and the token forms must echo. No GitHub token is kept: permission checks
// use the App's own credentials.
type session struct {
	Login   string    `json:"l"`
	UserID  int64     `json:"u"`
	Expires time.Time `json:"e"`
	CSRF    string    `json:"c"`
}

// oauthState is what the state cookie carries between the redirect to
// GitHub and the callback.
type oauthState struct {
	State   string    `json:"s"`
	Next    string    `json:"n"`
	Expires time.Time `json:"e"`
}

// sealer encrypts and authenticates cookie values with AES-256-GCM, so a
// cookie can be neither read nor forged without the session key. Each
// purpose gets its own derived key and additional data, so a state cookie
// cannot be replayed as a session.
type sealer struct{ aead cipher.AEAD }

func newSealer(key []byte, purpose string) (*sealer, error) {
	if len(key) < MinSessionKey {
		return nil, fmt.Errorf("session key: need at least %d bytes, have %d", MinSessionKey, len(key))
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("mergeguard ui " + purpose))
	block, err := aes.NewCipher(mac.Sum(nil))
	if err != nil {
		return nil, fmt.Errorf("session key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("session key: %w", err)
	}
	return &sealer{aead: aead}, nil
}

func (s *sealer) seal(v any) (string, error) {
	plain, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("seal a cookie: %w", err)
	}
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal a cookie: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(s.aead.Seal(nonce, nonce, plain, nil)), nil
}

var errBadCookie = errors.New("cookie is not valid")

func (s *sealer) open(value string, v any) error {
	raw, err := base64.RawURLEncoding.DecodeString(value)
	if err != nil || len(raw) < s.aead.NonceSize() {
		return errBadCookie
	}
	plain, err := s.aead.Open(nil, raw[:s.aead.NonceSize()], raw[s.aead.NonceSize():], nil)
	if err != nil {
		return errBadCookie
	}
	if err := json.Unmarshal(plain, v); err != nil {
		return errBadCookie
	}
	return nil
}

// randomToken returns 32 random bytes, URL-safe.
func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// cookie builds a cookie with the attributes every cookie here has:
// HttpOnly (no script reads it), Secure, SameSite=Lax (sent on the
// top-level navigation back from GitHub, not on cross-site posts).
func cookie(name, value string, expires time.Time) *http.Cookie {
	c := &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode}
	if value == "" {
		c.MaxAge = -1
	} else {
		c.Expires = expires
	}
	return c
}

// equalTokens compares secrets in constant time.
func equalTokens(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
