package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/mergeguard/mergeguard/internal/appsetup"
	"github.com/mergeguard/mergeguard/internal/checkrun"
	"github.com/mergeguard/mergeguard/internal/githubapp"
	policyconfig "github.com/mergeguard/mergeguard/internal/policy/config"
	policysource "github.com/mergeguard/mergeguard/internal/policy/source"
	"github.com/mergeguard/mergeguard/internal/store"
	"github.com/mergeguard/mergeguard/internal/ui"
	"github.com/mergeguard/mergeguard/internal/ui/uistore"
)

// authorizerTTL is how long GitHub's answer to "may this user see this"
// is reused: a page of a hundred rows asks once per repository, and a
// user removed from the organization loses access within this time.
const authorizerTTL = 2 * time.Minute

// webView builds the web view when the settings enable it (nil when not).
// It reads the database, asks GitHub with the App's installations who may
// see what, and takes the freeze calendar from each organization's
// configuration.
func (a *Server) webView(db *store.DB, gh *githubapp.App, source *policysource.Source) (*ui.Handler, error) {
	s := a.settings
	if !s.Web.Enabled() {
		return nil, nil
	}
	web, err := appsetup.WebURL(s.GitHubAPIURL)
	if err != nil {
		return nil, err
	}
	var client *http.Client
	if a.opts.GitHubTransport != nil {
		client = &http.Client{Transport: a.opts.GitHubTransport}
	}
	installationOf := func(ctx context.Context, owner string) (int64, error) { return store.InstallationOf(ctx, db, owner) }
	h, err := ui.New(ui.Config{
		BaseURL:    s.Web.PublicURL,
		SessionKey: s.Web.SessionKey,
		OAuth: &ui.OAuth{
			ClientID: s.Web.OAuthClientID, ClientSecret: s.Web.OAuthClientSecret,
			WebURL: web, APIURL: s.GitHubAPIURL, Client: client,
		},
		Reader:     uistore.New(db),
		Authorizer: ui.NewCachedAuthorizer(githubapp.Authorizer{App: gh, InstallationOf: installationOf}, authorizerTTL, a.now),
		Schedule:   freezeSchedule{source: source, gh: gh, installationOf: installationOf},
		Now:        a.now,
		Logger:     a.log,
	})
	if err != nil {
		return nil, fmt.Errorf("%w (see MERGEGUARD_PUBLIC_URL and the OAuth settings)", err)
	}
	return h, nil
}

// detailsURL links a check run to its evaluation page.
func detailsURL(h *ui.Handler) func(checkrun.Target) string {
	if h == nil {
		return nil
	}
	return func(t checkrun.Target) string {
		return h.EvaluationURL(t.Head.Repo.String(), t.Head.Number, t.Head.SHA)
	}
}

// freezeSchedule is the organization's configured change freeze, from the
// configuration its policy repository holds (or the defaults), as the
// change_freeze rule reads it.
type freezeSchedule struct {
	source         *policysource.Source
	gh             *githubapp.App
	installationOf func(ctx context.Context, owner string) (int64, error)
}

func (f freezeSchedule) calendar(ctx context.Context, owner string) (policyconfig.FreezeCalendar, error) {
	id, err := f.installationOf(ctx, owner)
	switch {
	case errors.Is(err, store.ErrNotFound):
		// No installation known: nothing is configured that mergeguard
		// could read.
		return policyconfig.FreezeCalendar{Location: time.UTC}, nil
	case err != nil:
		return policyconfig.FreezeCalendar{}, fmt.Errorf("find the installation on %s: %w", owner, err)
	}
	res, err := f.source.Resolve(ctx, f.gh.Installation(id), policysource.For{Owner: owner, Repo: f.source.PolicyRepo()})
	if err != nil {
		return policyconfig.FreezeCalendar{}, fmt.Errorf("read the configuration of %s: %w", owner, err)
	}
	return policyconfig.ChangeFreezeCalendar(res.Config.Rules["change_freeze"].Values)
}

func (f freezeSchedule) Location(ctx context.Context, owner string) (*time.Location, error) {
	c, err := f.calendar(ctx, owner)
	if err != nil {
		return nil, err
	}
	return c.Location, nil
}

func (f freezeSchedule) Windows(ctx context.Context, owner string, from, to time.Time) ([]ui.Window, error) {
	c, err := f.calendar(ctx, owner)
	if err != nil {
		return nil, err
	}
	occ, err := c.Between(from, to)
	if err != nil {
		return nil, fmt.Errorf("the change freeze calendar of %s: %w", owner, err)
	}
	out := make([]ui.Window, len(occ))
	for i, o := range occ {
		kind := ui.WindowDates
		if o.Weekly {
			kind = ui.WindowWeekly
		}
		out[i] = ui.Window{Start: o.Start, End: o.End, Kind: kind, Reason: o.Reason}
	}
	return out, nil
}

var _ ui.Schedule = freezeSchedule{}
