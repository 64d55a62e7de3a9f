package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/metrics"
	"github.com/mergeguard/mergeguard/internal/settings"
	"github.com/mergeguard/mergeguard/internal/store"
	"github.com/mergeguard/mergeguard/internal/testsupport/dbtest"
)

// sweeps records the organization sweeps a freeze change asks for.
type sweeps struct{ keys []string }

func (s *sweeps) SweepOrgTx(_ context.Context, _ store.Tx, _ int64, owner, key, _ string) error {
	s.keys = append(s.keys, owner+" "+key)
	return nil
}

var (
	orgToken  = strings.Repeat("o", 40)
	repoToken = strings.Repeat("r", 40)
	upload    = strings.Repeat("u", 40)
)

func freezesServer(t *testing.T, db *store.DB, sw *sweeps, now time.Time) http.Handler {
	h := &FreezesHandler{
		DB: db, Sweeps: sw, Now: func() time.Time { return now }, Log: slog.New(slog.DiscardHandler),
		Tokens: []settings.UploadToken{{Scope: "acme/*", Token: orgToken}, {Scope: "acme/shop", Token: repoToken}},
	}
	return New(Config{Freezes: h, Coverage: &CoverageHandler{Tokens: []settings.UploadToken{{Scope: "*", Token: upload}}}, Webhook: http.NotFoundHandler(), Log: slog.New(slog.DiscardHandler), Metrics: metrics.New()}).Handler()
}

func call(t *testing.T, h http.Handler, method, target, token, body string, header ...string) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("%s %s: the answer is not JSON: %q", method, target, rec.Body)
	}
	return rec.Code, out
}

// Who may freeze what: only freeze tokens, each within its scope; bad
// requests are refused with what to fix, and change nothing.
func TestFreezesAPIRefuses(t *testing.T) {
	db := dbtest.Open(t, dbtest.SQLiteConfig(t))
	sw := &sweeps{}
	h := freezesServer(t, db, sw, time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC))
	tests := []struct {
		name, method, target, token, body string
		status                            int
		want                              string
	}{
		{"no token", "POST", "/api/v1/freezes?org=acme", "", `{"reason":"outage"}`, 401, "Authorization: Bearer"},
		{"an upload token", "POST", "/api/v1/freezes?org=acme", upload, `{"reason":"outage"}`, 401, "coverage upload tokens cannot freeze"},
		{"another organization", "POST", "/api/v1/freezes?org=other", orgToken, `{"reason":"outage"}`, 403, "is for acme/*"},
		{"org-wide with a repository token", "POST", "/api/v1/freezes?org=acme", repoToken, `{"reason":"outage"}`, 403, "cannot freeze all of acme"},
		{"another repository", "POST", "/api/v1/freezes?org=acme", repoToken, `{"reason":"outage","repositories":["web"]}`, 403, "cannot freeze acme/web"},
		{"no reason", "POST", "/api/v1/freezes?org=acme", orgToken, `{}`, 400, "reason:"},
		{"unknown field", "POST", "/api/v1/freezes?org=acme", orgToken, `{"reason":"x","until":"5pm"}`, 400, "unknown field"},
		{"bad duration", "POST", "/api/v1/freezes?org=acme", orgToken, `{"reason":"x","for":"forever"}`, 400, "for="},
		{"past end", "POST", "/api/v1/freezes?org=acme", orgToken, `{"reason":"x","ends_at":"2026-12-06T10:00:00Z"}`, 400, "ends_at="},
		{"owner in a repository name", "POST", "/api/v1/freezes?org=acme", orgToken, `{"reason":"x","repositories":["acme/shop"]}`, 400, "without the owner"},
		{"no org", "GET", "/api/v1/freezes", orgToken, "", 400, "?org="},
		{"list another organization", "GET", "/api/v1/freezes?org=other", repoToken, "", 403, "not other"},
		{"end a freeze that is not", "DELETE", "/api/v1/freezes/99?org=acme", orgToken, "", 404, "not in effect"},
		{"end a non-number", "DELETE", "/api/v1/freezes/x?org=acme", orgToken, "", 400, "not a freeze number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, out := call(t, h, tt.method, tt.target, tt.token, tt.body)
			if status != tt.status || !strings.Contains(out["error"].(string), tt.want) {
				t.Fatalf("%d %v, want %d with %q", status, out, tt.status, tt.want)
			}
		})
	}
	if len(sw.keys) != 0 {
		t.Errorf("refused requests swept %v", sw.keys)
	}
	if n := len(auditLog(t, db)); n != 0 {
		t.Errorf("refused requests were audited: %d entries", n)
	}
}

func auditLog(t *testing.T, db *store.DB) []store.AuditEntry {
	t.Helper()
	var out []store.AuditEntry
	err := db.InTx(context.Background(), func(tx store.Tx) error {
		var err error
		out, err = store.AuditLog(context.Background(), tx, "acme", time.Time{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A freeze started through the API is stored, audited with the token's
// scope and who it acted for, sweeps the organization, is listed, and ends
// when deleted; an Idempotency-Key makes a retried start one freeze.
func TestFreezesAPIStartsListsAndEnds(t *testing.T) {
	db := dbtest.Open(t, dbtest.SQLiteConfig(t))
	sw := &sweeps{}
	h := freezesServer(t, db, sw, time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC))

	status, f := call(t, h, "POST", "/api/v1/freezes?org=acme", repoToken, `{"reason":"payments outage","repositories":["shop"],"for":"2h","by":"incident-bot"}`, "Idempotency-Key", "INC-42")
	if status != 201 || f["ends_at"] != "2026-12-07T12:00:00Z" || f["created_by"] != "incident-bot (api token for acme/shop)" || f["source"] != "api:INC-42" {
		t.Fatalf("%d %v", status, f)
	}
	again, g := call(t, h, "POST", "/api/v1/freezes?org=acme", repoToken, `{"reason":"payments outage","repositories":["shop"],"for":"2h","by":"incident-bot"}`, "Idempotency-Key", "INC-42")
	if again != 201 || g["id"] != f["id"] {
		t.Fatalf("a retried start made another freeze: %d %v", again, g)
	}
	status, all := call(t, h, "POST", "/api/v1/freezes?org=acme", orgToken, `{"reason":"database migration gone wrong"}`)
	if status != 201 || all["ends_at"] != nil {
		t.Fatalf("%d %v", status, all)
	}

	status, list := call(t, h, "GET", "/api/v1/freezes?org=acme", repoToken, "")
	if freezes, _ := list["freezes"].([]any); status != 200 || len(freezes) != 2 {
		t.Fatalf("%d %v", status, list)
	}
	// The repository's token cannot end the organization-wide freeze.
	id := int(all["id"].(float64))
	if status, out := call(t, h, "DELETE", "/api/v1/freezes/"+strconv.Itoa(id)+"?org=acme&by=bob", repoToken, ""); status != 403 {
		t.Fatalf("%d %v", status, out)
	}
	status, ended := call(t, h, "DELETE", "/api/v1/freezes/"+strconv.Itoa(id)+"?org=acme&by=bob", orgToken, "")
	if status != 200 || ended["ended_by"] != "bob (api token for acme/*)" {
		t.Fatalf("%d %v", status, ended)
	}
	if _, list = call(t, h, "GET", "/api/v1/freezes?org=acme", orgToken, ""); len(list["freezes"].([]any)) != 1 {
		t.Fatalf("after the end: %v", list)
	}

	var actions []string
	for _, e := range auditLog(t, db) {
		actions = append(actions, e.Action+" "+e.Subject+" by "+e.Actor)
	}
	want := []string{
		"freeze.start freeze " + strconv.Itoa(int(f["id"].(float64))) + " by incident-bot (api token for acme/shop)",
		"freeze.start freeze " + strconv.Itoa(id) + " by api token for acme/*",
		"freeze.end freeze " + strconv.Itoa(id) + " by bob (api token for acme/*)",
	}
	// All at one instant: the order within it is not the point.
	slices.Sort(actions)
	slices.Sort(want)
	if strings.Join(actions, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit trail:\n%s\nwant:\n%s", strings.Join(actions, "\n"), strings.Join(want, "\n"))
	}
	if len(sw.keys) != 3 {
		t.Errorf("sweeps %v; want one per change", sw.keys)
	}
}
