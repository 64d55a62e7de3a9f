package githubapp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-github/v60/github"
)

// The App's webhook log belongs to the App, not to an installation: it is
// read and redelivered with an App JWT, which costs no installation token.

// HookDeliveries lists the attempts to deliver the App's webhook, newest
// first, 100 a page, until it has read one delivered before since or
// maxPages pages (at least one). complete is false when it stopped at
// maxPages with older attempts left unread. Every attempt is listed: a
// redelivery shares its GUID with the original.
func (a *App) HookDeliveries(ctx context.Context, since time.Time, maxPages int) (attempts []*github.HookDelivery, complete bool, err error) {
	c := a.appClient()
	opts := &github.ListCursorOptions{PerPage: 100}
	for page := 1; ; page++ {
		list, resp, err := c.Apps.ListHookDeliveries(ctx, opts)
		if err != nil {
			return nil, false, fmt.Errorf("list the App's webhook deliveries (page %d): %w", page, explainApp(err))
		}
		attempts = append(attempts, list...)
		// GitHub pages by cursor: the Link header's next page carries it.
		if len(list) == 0 || resp.Cursor == "" || list[len(list)-1].GetDeliveredAt().Before(since) {
			return attempts, true, nil
		}
		if page >= maxPages {
			return attempts, false, nil
		}
		opts.Cursor = resp.Cursor
	}
}

// RedeliverHook asks GitHub to deliver an attempt's payload again, with the
// same X-GitHub-Delivery. GitHub answers 202 and delivers shortly after;
// the new attempt appears in HookDeliveries.
func (a *App) RedeliverHook(ctx context.Context, attemptID int64) error {
	_, _, err := a.appClient().Apps.RedeliverHookDelivery(ctx, attemptID)
	var accepted *github.AcceptedError
	if err == nil || errors.As(err, &accepted) {
		return nil
	}
	return fmt.Errorf("ask GitHub to redeliver webhook delivery %d: %w", attemptID, explainApp(err))
}

// appClient authenticates as the App. The JWT is signed afresh for every
// request, so the client needs no caching.
func (a *App) appClient() *github.Client {
	tr := ghinstallation.NewAppsTransportFromPrivateKey(a.base("app"), a.cfg.AppID, a.cfg.PrivateKey)
	tr.BaseURL = apiRoot(a.baseURL)
	return a.client(tr)
}

// explainApp adds what to do next to App-level errors an operator must act
// on.
func explainApp(err error) error {
	// go-github refuses a request itself once a response said the limit is
	// spent; the queue waits only for a *RateLimitError.
	if rl := fromGoGitHub(err); rl != nil {
		return rl
	}
	switch StatusCode(err) {
	case http.StatusUnauthorized:
		return fmt.Errorf("GitHub rejected the App's JWT: check that MERGEGUARD_APP_ID and the private key belong to the same GitHub App, and that this machine's clock is right: %w", err)
	case http.StatusNotFound:
		return fmt.Errorf("GitHub knows no such delivery, or the App has no webhook: check the webhook URL in the App's settings: %w", err)
	}
	return err
}
