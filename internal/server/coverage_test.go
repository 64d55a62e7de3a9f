package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/oidcauth"
	"github.com/mergeguard/mergeguard/internal/settings"
	"github.com/mergeguard/mergeguard/internal/store"
	"github.com/mergeguard/mergeguard/internal/testsupport/dbtest"
)

// fakeVerifier accepts the token "good.id.token" with its claims.
type fakeVerifier struct{ claims oidcauth.Claims }

func (f fakeVerifier) Verify(_ context.Context, raw string) (oidcauth.Claims, error) {
	switch raw {
	case "good.id.token":
		return f.claims, nil
	case "slow.id.token":
		return oidcauth.Claims{}, &oidcauth.Error{Reason: "issuer unreachable", Detail: "connection refused"}
	}
	return oidcauth.Claims{}, &oidcauth.Error{Reason: "expired", Detail: "the token expired at 10:00"}
}

type fakeHeads map[int]string

func (f fakeHeads) PullRequestHead(_ context.Context, _ string, n int) (string, error) {
	if h, ok := f[n]; ok {
		return h, nil
	}
	return "", errors.New("no such pull request")
}

const (
	head  = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	merge = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	token = "scoped-upload-token-0123456789abcdef0123"
)

const lcov = "TN:\nSF:/home/runner/work/shop/shop/src/cart.js\nDA:1,1\nDA:2,0\nend_of_record\n"

func TestUploads(t *testing.T) {
	tests := []struct {
		name    string
		query   string
		auth    string
		body    []byte
		gzipped bool
		claims  oidcauth.Claims
		noOIDC  bool // the server takes upload tokens only
		status  int
		says    string
	}{
		{name: "upload token", query: "repo=acme/shop&sha=" + head + "&flag=unit", auth: token, body: []byte(lcov), status: 201},
		{name: "gzipped", query: "repo=acme/shop&sha=" + head, auth: token, body: []byte(lcov), gzipped: true, status: 201},
		{name: "ID token of the repository and commit", query: "repo=acme/shop&sha=" + head, auth: "good.id.token", body: []byte(lcov),
			claims: oidcauth.Claims{Repository: "acme/shop", SHA: head, Actor: "ci", Workflow: "test"}, status: 201},
		{name: "ID token of a pull_request workflow, for the head", query: "repo=acme/shop&sha=" + head, auth: "good.id.token", body: []byte(lcov),
			claims: oidcauth.Claims{Repository: "acme/shop", SHA: merge, Ref: "refs/pull/7/merge"}, status: 201},
		{name: "ID token of a pull_request workflow, for another commit", query: "repo=acme/shop&sha=" + strings.Repeat("c", 40), auth: "good.id.token", body: []byte(lcov),
			claims: oidcauth.Claims{Repository: "acme/shop", SHA: merge, Ref: "refs/pull/7/merge"}, status: 403, says: "whose head is aaaaaaa"},
		{name: "ID token of another repository", query: "repo=acme/shop&sha=" + head, auth: "good.id.token", body: []byte(lcov),
			claims: oidcauth.Claims{Repository: "acme/other", SHA: head}, status: 403, says: "from a workflow of acme/other"},
		{name: "ID token of another commit", query: "repo=acme/shop&sha=" + head, auth: "good.id.token", body: []byte(lcov),
			claims: oidcauth.Claims{Repository: "acme/shop", SHA: merge, Ref: "refs/heads/main"}, status: 403, says: "is for commit bbbbbbb"},
		{name: "ID token where they are off", query: "repo=acme/shop&sha=" + head, auth: "good.id.token", body: []byte(lcov), noOIDC: true,
			claims: oidcauth.Claims{Repository: "acme/shop", SHA: head}, status: 401, says: "does not accept GitHub Actions ID tokens"},
		{name: "unknown token", query: "repo=acme/shop&sha=" + head, auth: "not-a-token", body: []byte(lcov), status: 401, says: "MERGEGUARD_UPLOAD_TOKENS"},
		{name: "expired ID token", query: "repo=acme/shop&sha=" + head, auth: "old.id.token", body: []byte(lcov), status: 401, says: "expired"},
		{name: "issuer unreachable", query: "repo=acme/shop&sha=" + head, auth: "slow.id.token", body: []byte(lcov), status: 503, says: "upload again shortly"},
		{name: "token scoped to another organization", query: "repo=globex/api&sha=" + head, auth: token, body: []byte(lcov), status: 403, says: "for acme/*"},
		{name: "bad flag", query: "repo=acme/shop&sha=" + head + "&flag=a%20b", auth: token, body: []byte(lcov), status: 400, says: "flag="},
		{name: "no repo", query: "sha=" + head, auth: token, body: []byte(lcov), status: 400, says: "owner/name"},
		{name: "malformed", query: "repo=acme/shop&sha=" + head, auth: token, body: []byte("SF:a.js\nDA:one,1\n"), status: 400, says: "the report cannot be used"},
		{name: "not gzip", query: "repo=acme/shop&sha=" + head, auth: token, body: []byte(lcov), status: 400, says: "the body is not"},
		{name: "too large", query: "repo=acme/shop&sha=" + head, auth: token, body: bytes.Repeat([]byte("DA:1,1\n"), 200_000), status: 413, says: "larger than 1 MiB"},
		{name: "too large once decompressed", query: "repo=acme/shop&sha=" + head, auth: token, body: bytes.Repeat([]byte("DA:1,1\n"), 200_000), gzipped: true, status: 413, says: "larger than 1 MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := dbtest.Open(t, dbtest.SQLiteConfig(t))
			queued := 0
			var verifier CoverageVerifier = fakeVerifier{tt.claims}
			if tt.noOIDC {
				verifier = nil
			}
			h := &CoverageHandler{
				DB: db, Verifier: verifier, Heads: fakeHeads{7: head},
				Tokens:     []settings.UploadToken{{Scope: "acme/*", Token: token}},
				Reevaluate: func(context.Context, string, string) (int, error) { queued++; return 1, nil },
				MaxBytes:   1 << 20, Now: time.Now, Log: slog.New(slog.DiscardHandler),
			}
			body := tt.body
			if tt.gzipped {
				var buf bytes.Buffer
				zw := gzip.NewWriter(&buf)
				zw.Write(body)
				zw.Close()
				body = buf.Bytes()
			}
			req := httptest.NewRequest(http.MethodPost, "/api/v1/coverage?"+tt.query, bytes.NewReader(body))
			if tt.gzipped || tt.name == "not gzip" {
				req.Header.Set("Content-Encoding", "gzip")
			}
			if tt.auth != "" {
				req.Header.Set("Authorization", "Bearer "+tt.auth)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			var out map[string]any
			json.Unmarshal(rec.Body.Bytes(), &out)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			// What the request named is where nothing may have been stored.
			q, _ := url.ParseQuery(tt.query)
			stored, err := store.Coverage(context.Background(), db, q.Get("repo"), q.Get("sha"))
			if err != nil {
				t.Fatal(err)
			}
			if tt.status != 201 {
				if !strings.Contains(rec.Body.String(), tt.says) {
					t.Fatalf("answer %s lacks %q", rec.Body, tt.says)
				}
				if len(stored) != 0 || queued != 0 {
					t.Fatal("a refused upload must store and trigger nothing")
				}
				if strings.Contains(rec.Body.String(), token) || strings.Contains(rec.Body.String(), tt.auth) && tt.auth != "" {
					t.Fatal("the answer must not echo the token")
				}
				return
			}
			if len(stored) != 1 || stored[0].Format != "lcov" || stored[0].Files != 1 || queued != 1 || out["pull_requests"] != float64(1) {
				t.Fatalf("stored %+v, queued %d, answer %v", stored, queued, out)
			}
		})
	}
}
