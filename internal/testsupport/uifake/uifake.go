// Package uifake holds in-memory stand-ins for what the web view
// (internal/ui) asks of the rest of the server and of GitHub: a Reader
// over fixed records, an Authorizer over fixed memberships, a Schedule,
// and a GitHub that answers the OAuth web flow.
package uifake

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mergeguard/mergeguard/internal/ui"
)

// Reader serves fixed records.
type Reader struct {
	PRs     map[string]ui.PullRequest // key "owner/name#n", lower case
	Entries []ui.TimelineEntry
	Frozen  []ui.Freeze
	// Inputs are the stored input documents, by evaluation ID; an
	// evaluation of a known pull request without one has none stored.
	Inputs map[string]ui.StoredInput
	// InputErr, when set, is what Input returns.
	InputErr error
	// Err, when set, is what every call returns.
	Err error
}

func prKey(repo string, number int) string {
	return fmt.Sprintf("%s#%d", strings.ToLower(repo), number)
}

// AddPR stores a pull request's records.
func (r *Reader) AddPR(pr ui.PullRequest) {
	if r.PRs == nil {
		r.PRs = map[string]ui.PullRequest{}
	}
	r.PRs[prKey(pr.Repo, pr.Number)] = pr
}

// PullRequest implements ui.Reader.
func (r *Reader) PullRequest(_ context.Context, repo string, number int) (ui.PullRequest, error) {
	if r.Err != nil {
		return ui.PullRequest{}, r.Err
	}
	pr, ok := r.PRs[prKey(repo, number)]
	if !ok {
		return ui.PullRequest{}, ui.ErrNotFound
	}
	return pr, nil
}

// Input implements ui.Reader: ErrNotFound unless the pull request has an
// evaluation with that ID.
func (r *Reader) Input(_ context.Context, repo string, number int, id string) (ui.StoredInput, error) {
	if r.Err != nil {
		return ui.StoredInput{}, r.Err
	}
	if r.InputErr != nil {
		return ui.StoredInput{}, r.InputErr
	}
	pr, ok := r.PRs[prKey(repo, number)]
	if !ok || id == "" || !slices.ContainsFunc(pr.Evaluations, func(e ui.Evaluation) bool { return e.ID == id }) {
		return ui.StoredInput{}, ui.ErrNotFound
	}
	return r.Inputs[id], nil
}

// Timeline implements ui.Reader with the filter's documented meaning.
func (r *Reader) Timeline(_ context.Context, f ui.TimelineFilter) ([]ui.TimelineEntry, error) {
	if r.Err != nil {
		return nil, r.Err
	}
	var out []ui.TimelineEntry
	for _, e := range r.Entries {
		owner, _, _ := strings.Cut(e.Repo, "/")
		if e.Repo != "" && !strings.EqualFold(owner, f.Owner) {
			continue
		}
		if f.Repo != "" && e.Repo != "" && !strings.EqualFold(e.Repo, f.Repo) {
			continue
		}
		if e.At.Before(f.Since) || !f.Until.IsZero() && !e.At.Before(f.Until) {
			continue
		}
		if len(f.Kinds) > 0 && !slices.Contains(f.Kinds, e.Kind) {
			continue
		}
		if f.Bypasses && e.Kind != "override" && !(e.Kind == "merge" && e.Result != "success") {
			continue
		}
		out = append(out, e)
	}
	slices.SortStableFunc(out, func(a, b ui.TimelineEntry) int { return b.At.Compare(a.At) })
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}

// Freezes implements ui.Reader.
func (r *Reader) Freezes(_ context.Context, owner string, now time.Time) ([]ui.Freeze, error) {
	if r.Err != nil {
		return nil, r.Err
	}
	var out []ui.Freeze
	for _, f := range r.Frozen {
		if strings.EqualFold(f.Owner, owner) && (f.Ends.IsZero() || f.Ends.After(now)) {
			out = append(out, f)
		}
	}
	return out, nil
}

// Authorizer answers from fixed memberships and counts the questions.
type Authorizer struct {
	mu sync.Mutex
	// Members maps an organization to its members.
	Members map[string][]string
	// Readers maps a repository ("owner/name") to who can read it.
	Readers map[string][]string
	Err     error
	Asked   int
}

// IsMember implements ui.Authorizer.
func (a *Authorizer) IsMember(_ context.Context, org, login string) (bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.Asked++
	if a.Err != nil {
		return false, a.Err
	}
	return containsFold(a.Members[strings.ToLower(org)], login), nil
}

// CanRead implements ui.Authorizer.
func (a *Authorizer) CanRead(_ context.Context, repo, login string) (bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.Asked++
	if a.Err != nil {
		return false, a.Err
	}
	return containsFold(a.Readers[strings.ToLower(repo)], login), nil
}

func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(v string) bool { return strings.EqualFold(v, s) })
}

// Schedule is a fixed time zone, weekly windows and date spans.
type Schedule struct {
	Loc *time.Location
	// Weekly windows: each repeats every week from its first occurrence.
	Weekly []ui.Window
	Dates  []ui.Window
}

// Location implements ui.Schedule.
func (s *Schedule) Location(context.Context, string) (*time.Location, error) { return s.Loc, nil }

// Windows implements ui.Schedule: the weekly windows' occurrences and the
// date spans that overlap [from, to).
func (s *Schedule) Windows(_ context.Context, _ string, from, to time.Time) ([]ui.Window, error) {
	var ws []ui.Window
	for _, w := range s.Weekly {
		for k := -1; ; k++ {
			o := ui.Window{Kind: ui.WindowWeekly, Reason: w.Reason, Start: w.Start.AddDate(0, 0, 7*k), End: w.End.AddDate(0, 0, 7*k)}
			if !o.Start.Before(to) {
				break
			}
			if o.End.After(from) {
				ws = append(ws, o)
			}
		}
	}
	for _, d := range s.Dates {
		if d.Start.Before(to) && d.End.After(from) {
			ws = append(ws, d)
		}
	}
	slices.SortFunc(ws, func(a, b ui.Window) int { return a.Start.Compare(b.Start) })
	return ws, nil
}

// GitHub answers the OAuth web flow: the authorize page sends the browser
// straight back with a code for User, the code is exchanged for a token,
// and /user says whose it is.
type GitHub struct {
	*httptest.Server
	ClientID, ClientSecret string

	mu     sync.Mutex
	user   ui.User
	codes  map[string]ui.User
	tokens map[string]ui.User
	n      int
}

// NewGitHub starts the fake; Close it when done.
func NewGitHub(clientID, clientSecret string) *GitHub {
	g := &GitHub{ClientID: clientID, ClientSecret: clientSecret, codes: map[string]ui.User{}, tokens: map[string]ui.User{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login/oauth/authorize", g.authorize)
	mux.HandleFunc("POST /login/oauth/access_token", g.token)
	mux.HandleFunc("GET /user", g.whoami)
	g.Server = httptest.NewServer(mux)
	return g
}

// SignInAs sets who the next sign-in is.
func (g *GitHub) SignInAs(login string, id int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.user = ui.User{Login: login, ID: id}
}

func (g *GitHub) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != g.ClientID {
		http.Error(w, "unknown client", http.StatusNotFound)
		return
	}
	back, err := url.Parse(q.Get("redirect_uri"))
	if err != nil {
		http.Error(w, "bad redirect_uri", http.StatusBadRequest)
		return
	}
	g.mu.Lock()
	g.n++
	code := fmt.Sprintf("code-%d", g.n)
	g.codes[code] = g.user
	g.mu.Unlock()
	bq := back.Query()
	bq.Set("code", code)
	bq.Set("state", q.Get("state"))
	back.RawQuery = bq.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

func (g *GitHub) token(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.PostFormValue("client_id") != g.ClientID || r.PostFormValue("client_secret") != g.ClientSecret {
		json.NewEncoder(w).Encode(map[string]string{"error": "incorrect_client_credentials", "error_description": "The client_id and/or client_secret passed are incorrect."})
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	u, ok := g.codes[r.PostFormValue("code")]
	if !ok {
		json.NewEncoder(w).Encode(map[string]string{"error": "bad_verification_code", "error_description": "The code passed is incorrect or expired."})
		return
	}
	delete(g.codes, r.PostFormValue("code"))
	g.n++
	token := fmt.Sprintf("ghu_%d", g.n)
	g.tokens[token] = u
	json.NewEncoder(w).Encode(map[string]string{"access_token": token, "token_type": "bearer", "scope": ""})
}

func (g *GitHub) whoami(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	u, ok := g.tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
	g.mu.Unlock()
	if !ok {
		http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(u)
}
