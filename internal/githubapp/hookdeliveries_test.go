package githubapp_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/githubapp"
	"github.com/mergeguard/mergeguard/internal/testsupport/fakegithub"
	"github.com/mergeguard/mergeguard/internal/testsupport/wait"
)

func TestHookDeliveriesFollowsTheCursorBackToSince(t *testing.T) {
	gh := fakegithub.New(t)
	now := time.Now().UTC().Truncate(time.Second)
	// 250 attempts, one a minute, the newest now.
	for i := 249; i >= 0; i-- {
		gh.LogHookAttempt(fakegithub.HookAttempt{GUID: fmt.Sprintf("guid-%03d", i), Event: "pull_request", Action: "opened",
			StatusCode: 202, DeliveredAt: now.Add(-time.Duration(i) * time.Minute)})
	}
	app := gh.App(t)
	ctx := context.Background()
	tests := []struct {
		name     string
		since    time.Time
		maxPages int
		listed   int
		complete bool
	}{
		{name: "everything", since: now.Add(-24 * time.Hour), maxPages: 10, listed: 250, complete: true},
		{name: "stops at the page holding since", since: now.Add(-150 * time.Minute), maxPages: 10, listed: 200, complete: true},
		{name: "stops at the page bound", since: now.Add(-24 * time.Hour), maxPages: 2, listed: 200, complete: false},
		{name: "one page at least", since: now.Add(-24 * time.Hour), maxPages: 0, listed: 100, complete: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gh.ResetRequests()
			got, complete, err := app.HookDeliveries(ctx, tt.since, tt.maxPages)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.listed || complete != tt.complete {
				t.Fatalf("listed %d (complete %v), want %d (%v)", len(got), complete, tt.listed, tt.complete)
			}
			for i, d := range got {
				if want := fmt.Sprintf("guid-%03d", i); d.GetGUID() != want || d.GetStatusCode() != 202 || d.GetEvent() != "pull_request" {
					t.Fatalf("attempt %d: %+v, want %s newest first", i, d, want)
				}
			}
			if n := gh.Count("POST", "/app/installations/{installation_id}/access_tokens"); n != 0 {
				t.Fatalf("%d installation tokens: the App's log is read with the App's JWT", n)
			}
		})
	}
}

// A redelivery goes to the webhook again with the same X-GitHub-Delivery,
// and appears in the log as an attempt of its own.
func TestRedeliverHookSendsTheSameDeliveryAgain(t *testing.T) {
	gh := fakegithub.New(t)
	var mu sync.Mutex
	var seen []string
	fail := true
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if fakegithub.Sign("s3cret", body) != r.Header.Get("X-Hub-Signature-256") {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		seen = append(seen, r.Header.Get("X-GitHub-Delivery")+" "+r.Header.Get("X-GitHub-Event")+" "+string(body))
		if fail {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(hook.Close)
	gh.SetWebhook(hook.URL, "s3cret")

	first := gh.Deliver("ping", []byte(`{"zen":"Speak like a human."}`))
	if first.StatusCode != http.StatusServiceUnavailable || first.Redelivery {
		t.Fatalf("first attempt %+v", first)
	}
	mu.Lock()
	fail = false
	mu.Unlock()
	app := gh.App(t)
	if err := app.RedeliverHook(context.Background(), first.ID); err != nil {
		t.Fatal(err)
	}
	wait.Until(t, 5*time.Second, "the redelivery", func() bool { return len(gh.HookAttempts()) == 2 })
	again := gh.HookAttempts()[1]
	if again.GUID != first.GUID || !again.Redelivery || again.StatusCode != http.StatusAccepted || again.ID == first.ID {
		t.Fatalf("redelivery %+v of %+v", again, first)
	}
	mu.Lock()
	defer mu.Unlock()
	want := first.GUID + ` ping {"zen":"Speak like a human."}`
	if len(seen) != 2 || seen[0] != want || seen[1] != want {
		t.Fatalf("the webhook saw %q", seen)
	}

	err := app.RedeliverHook(context.Background(), 42)
	if !githubapp.IsNotFound(err) {
		t.Fatalf("redelivering an unknown attempt: %v, want a 404", err)
	}
}
