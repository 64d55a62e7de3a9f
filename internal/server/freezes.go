// The freezes API lets an incident tool or a chat bot freeze merges, as
// `/guard freeze` does:
//
//	POST   /api/v1/freezes?org=acme       {"reason": "…", "repositories": ["shop"], "for": "2h" | "ends_at": RFC 3339, "by": "alice"}
//	GET    /api/v1/freezes?org=acme       the freezes in effect
//	DELETE /api/v1/freezes/{id}?org=acme  end one
//	Authorization: Bearer <a token from MERGEGUARD_FREEZE_TOKENS>
//
// A token's scope (owner/name, owner/* or *) bounds what it may freeze:
// an organization-wide freeze needs owner/* or *. Starting and ending are
// recorded in the audit trail, with the token's scope and the "by" the
// caller names, and re-evaluate the organization's open pull requests.

package server

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/mergeguard/mergeguard/internal/httpjson"
	"github.com/mergeguard/mergeguard/internal/incident"
	"github.com/mergeguard/mergeguard/internal/settings"
	"github.com/mergeguard/mergeguard/internal/store"
	"github.com/mergeguard/mergeguard/internal/text"
)

// FreezesHandler serves /api/v1/freezes.
type FreezesHandler struct {
	DB     *store.DB
	Sweeps incident.Sweeper
	Tokens []settings.UploadToken
	Now    func() time.Time
	Log    *slog.Logger
}

// maxFreezeRequest bounds a request body: a reason and a few names.
const maxFreezeRequest = 64 << 10

// maxFreezeFor bounds a planned freeze, as `/guard freeze` does not: a
// typo of a year is more likely than an incident that long.
const maxFreezeFor = 30 * 24 * time.Hour

var (
	orgPattern     = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9]|-[A-Za-z0-9]){0,38}$`)
	repoNamePat    = regexp.MustCompile(`^[A-Za-z0-9._-]{1,100}$`)
	idempotencyKey = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,100}$`)
)

// FreezeRequest is the body of POST /api/v1/freezes.
type FreezeRequest struct {
	Reason       string   `json:"reason"`
	Repositories []string `json:"repositories"`
	// For or EndsAt plan the end; neither means until someone ends it.
	For    string `json:"for"`
	EndsAt string `json:"ends_at"`
	// By names the person or tool on whose behalf the token acts.
	By string `json:"by"`
}

// FreezeJSON is a freeze as the API shows it.
type FreezeJSON struct {
	ID           int64    `json:"id"`
	Org          string   `json:"org"`
	Repositories []string `json:"repositories"`
	Reason       string   `json:"reason"`
	StartsAt     string   `json:"starts_at"`
	EndsAt       string   `json:"ends_at,omitempty"`
	CreatedBy    string   `json:"created_by"`
	Source       string   `json:"source"`
	EndedBy      string   `json:"ended_by,omitempty"`
}

func freezeJSON(f store.Freeze) FreezeJSON {
	j := FreezeJSON{ID: f.ID, Org: f.Owner, Repositories: f.Repositories, Reason: f.Reason, StartsAt: f.StartsAt.UTC().Format(time.RFC3339),
		CreatedBy: f.CreatedBy, Source: f.Source, EndedBy: f.EndedBy}
	if j.Repositories == nil {
		j.Repositories = []string{}
	}
	if end := f.End(); !end.IsZero() {
		j.EndsAt = end.UTC().Format(time.RFC3339)
	}
	return j
}

func (h *FreezesHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fail := func(status int, format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		h.Log.Info("freeze request refused", "method", r.Method, "status", status, "reason", msg, "remote", r.RemoteAddr)
		httpjson.Write(w, status, map[string]string{"error": msg})
	}
	org := r.URL.Query().Get("org")
	if !orgPattern.MatchString(org) {
		fail(http.StatusBadRequest, "org=%q: give the organization as ?org=NAME", text.Clip(org, 80))
		return
	}
	token, err := h.token(r)
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="mergeguard freezes"`)
		fail(http.StatusUnauthorized, "%v", err)
		return
	}
	idText := r.PathValue("id")
	switch {
	case r.Method == http.MethodPost && idText == "":
		h.start(w, r, fail, org, token)
	case r.Method == http.MethodGet && idText == "":
		h.list(w, r, fail, org, token)
	case r.Method == http.MethodDelete && idText != "":
		id, err := strconv.ParseInt(idText, 10, 64)
		if err != nil || id <= 0 {
			fail(http.StatusBadRequest, "%q is not a freeze number", text.Clip(idText, 40))
			return
		}
		h.end(w, r, fail, org, token, id)
	default:
		fail(http.StatusMethodNotAllowed, "use POST or GET on /api/v1/freezes, DELETE on /api/v1/freezes/{id}")
	}
}

// token finds the caller's token, compared in constant time.
func (h *FreezesHandler) token(r *http.Request) (settings.UploadToken, error) {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	raw = strings.TrimSpace(raw)
	if !ok || raw == "" {
		return settings.UploadToken{}, errors.New("send Authorization: Bearer with a token from MERGEGUARD_FREEZE_TOKENS")
	}
	for _, t := range h.Tokens {
		if subtle.ConstantTimeCompare([]byte(raw), []byte(t.Token)) == 1 {
			return t, nil
		}
	}
	return settings.UploadToken{}, errors.New("the token is not a freeze token (MERGEGUARD_FREEZE_TOKENS); coverage upload tokens cannot freeze merges")
}

// covers reports whether the token may act on a freeze of repos (none:
// the whole organization) in org.
func covers(t settings.UploadToken, org string, repos []string) bool {
	if len(repos) == 0 {
		return t.Allows(org + "/*")
	}
	for _, r := range repos {
		if !t.Allows(org + "/" + r) {
			return false
		}
	}
	return true
}

func (h *FreezesHandler) start(w http.ResponseWriter, r *http.Request, fail func(int, string, ...any), org string, t settings.UploadToken) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxFreezeRequest))
	if err != nil {
		fail(http.StatusRequestEntityTooLarge, "the request is larger than %d KiB", maxFreezeRequest>>10)
		return
	}
	var req FreezeRequest
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		fail(http.StatusBadRequest, "the body is not a freeze: %v", err)
		return
	}
	now := h.Now()
	req.Reason = strings.TrimSpace(req.Reason)
	var ends time.Time
	switch {
	case req.Reason == "":
		fail(http.StatusBadRequest, "reason: say why merges are frozen; it is shown on every blocked pull request")
		return
	case len(req.Reason) > 500:
		fail(http.StatusBadRequest, "reason: at most 500 bytes")
		return
	case len(req.By) > 100:
		fail(http.StatusBadRequest, "by: at most 100 bytes")
		return
	case req.For != "" && req.EndsAt != "":
		fail(http.StatusBadRequest, "give for or ends_at, not both")
		return
	case req.For != "":
		d, err := time.ParseDuration(req.For)
		if err != nil || d <= 0 || d > maxFreezeFor {
			fail(http.StatusBadRequest, "for=%q: give a duration such as 2h or 90m, at most 720h", text.Clip(req.For, 40))
			return
		}
		ends = now.Add(d)
	case req.EndsAt != "":
		e, err := time.Parse(time.RFC3339, req.EndsAt)
		if err != nil || !e.After(now) || e.Sub(now) > maxFreezeFor {
			fail(http.StatusBadRequest, "ends_at=%q: give a future RFC 3339 time, at most 30 days ahead", text.Clip(req.EndsAt, 40))
			return
		}
		ends = e
	}
	for _, repo := range req.Repositories {
		if !repoNamePat.MatchString(repo) {
			fail(http.StatusBadRequest, "repositories: %q is not a repository name (the name alone, without the owner)", text.Clip(repo, 120))
			return
		}
	}
	if !covers(t, org, req.Repositories) {
		fail(http.StatusForbidden, "this freeze token is for %s; it cannot freeze %s", t.Scope, where(org, req.Repositories))
		return
	}
	source := "api"
	if key := r.Header.Get("Idempotency-Key"); key != "" {
		if !idempotencyKey.MatchString(key) {
			fail(http.StatusBadRequest, "Idempotency-Key: letters, digits, '.', '_', ':' or '-', at most 100")
			return
		}
		source = "api:" + key
	}
	f, err := incident.StartFreeze(r.Context(), h.DB, h.Sweeps, incident.Start{
		Owner: org, Repos: req.Repositories, Reason: req.Reason, Ends: ends, By: by(t, req.By), Source: source,
	}, now)
	if err != nil {
		h.Log.Error("could not start a freeze", "org", org, "err", err)
		httpjson.Write(w, http.StatusServiceUnavailable, map[string]string{"error": "the freeze could not be stored; try again shortly"})
		return
	}
	h.Log.Info("freeze started through the API", "org", org, "freeze", f.ID, "by", f.CreatedBy, "repositories", f.Repositories)
	httpjson.Write(w, http.StatusCreated, freezeJSON(f))
}

func (h *FreezesHandler) list(w http.ResponseWriter, r *http.Request, fail func(int, string, ...any), org string, t settings.UploadToken) {
	// Any token of the organization may see its freezes.
	if owner, _, _ := strings.Cut(t.Scope, "/"); t.Scope != "*" && !strings.EqualFold(owner, org) {
		fail(http.StatusForbidden, "this freeze token is for %s, not %s", t.Scope, org)
		return
	}
	freezes, err := h.inEffect(r.Context(), org)
	if err != nil {
		h.Log.Error("could not read freezes", "org", org, "err", err)
		httpjson.Write(w, http.StatusServiceUnavailable, map[string]string{"error": "the freezes could not be read; try again shortly"})
		return
	}
	out := []FreezeJSON{}
	for _, f := range freezes {
		out = append(out, freezeJSON(f))
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"freezes": out})
}

func (h *FreezesHandler) end(w http.ResponseWriter, r *http.Request, fail func(int, string, ...any), org string, t settings.UploadToken, id int64) {
	freezes, err := h.inEffect(r.Context(), org)
	if err != nil {
		h.Log.Error("could not read freezes", "org", org, "err", err)
		httpjson.Write(w, http.StatusServiceUnavailable, map[string]string{"error": "the freezes could not be read; try again shortly"})
		return
	}
	var target *store.Freeze
	for i := range freezes {
		if freezes[i].ID == id {
			target = &freezes[i]
		}
	}
	if target == nil {
		fail(http.StatusNotFound, "freeze %d is not in effect in %s", id, org)
		return
	}
	if !covers(t, org, target.Repositories) {
		fail(http.StatusForbidden, "this freeze token is for %s; it cannot end a freeze of %s", t.Scope, where(org, target.Repositories))
		return
	}
	who := by(t, r.URL.Query().Get("by"))
	ended, err := incident.EndFreezes(r.Context(), h.DB, h.Sweeps, incident.End{Owner: org, ID: id, By: who, Source: "api"}, h.Now())
	if err != nil {
		h.Log.Error("could not end a freeze", "org", org, "freeze", id, "err", err)
		httpjson.Write(w, http.StatusServiceUnavailable, map[string]string{"error": "the freeze could not be ended; try again shortly"})
		return
	}
	if len(ended) == 0 {
		fail(http.StatusNotFound, "freeze %d is not in effect in %s", id, org)
		return
	}
	h.Log.Info("freeze ended through the API", "org", org, "freeze", id, "by", who)
	httpjson.Write(w, http.StatusOK, freezeJSON(ended[0]))
}

func (h *FreezesHandler) inEffect(ctx context.Context, org string) ([]store.Freeze, error) {
	var out []store.Freeze
	err := h.DB.InTx(ctx, func(tx store.Tx) error {
		var err error
		out, err = store.Freezes(ctx, tx, org, h.Now())
		return err
	})
	return out, err
}

// by is who the audit trail names: the token's scope, and the person or
// tool the caller says it acts for.
func by(t settings.UploadToken, who string) string {
	who = strings.TrimSpace(text.Clip(who, 100))
	if who == "" {
		return "api token for " + t.Scope
	}
	return who + " (api token for " + t.Scope + ")"
}

func where(org string, repos []string) string {
	if len(repos) == 0 {
		return "all of " + org
	}
	out := make([]string, len(repos))
	for i, r := range repos {
		out[i] = org + "/" + r
	}
	return strings.Join(out, ", ")
}
