package app_test

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v4"

	"github.com/mergeguard/mergeguard/internal/app"
	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/queue"
	"github.com/mergeguard/mergeguard/internal/settings"
	"github.com/mergeguard/mergeguard/internal/testsupport/dbtest"
	"github.com/mergeguard/mergeguard/internal/testsupport/fakegithub"
	"github.com/mergeguard/mergeguard/internal/testsupport/logbuf"
	"github.com/mergeguard/mergeguard/internal/testsupport/wait"
)

// GitHub delivers a pull request's opening while mergeguard is down, and
// never tries again. Once mergeguard is up, its redelivery job finds the
// failed delivery in the App's webhook log and asks GitHub for it; the
// redelivery (same X-GitHub-Delivery) is evaluated like the original. A
// delivery mergeguard handled, but whose answer GitHub did not see, is left
// alone. The job costs two requests: the log, and the redelivery.
func TestAMissedDeliveryIsRedeliveredAndEvaluated(t *testing.T) {
	gh := fakegithub.New(t)
	pr := newPR(gh)

	// Nothing listens on the server's address yet.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	gh.SetWebhook("http://"+addr+"/webhook", secret)
	missed := gh.Deliver("pull_request", gh.Payload("pull_request", "opened", pr, nil))
	if missed.StatusCode != http.StatusBadGateway || missed.Status != "failed to connect to host" {
		t.Fatalf("delivery to a server that is down: %+v", missed)
	}

	if ln, err = net.Listen("tcp", addr); err != nil {
		t.Skipf("the address %s was taken meanwhile: %v", addr, err)
	}
	// The first run comes a grace period after start-up, time enough for
	// the ping below to be handled first.
	h := startRedelivering(t, gh, ln, queue.RedeliveryConfig{Every: time.Hour, Grace: 2 * time.Second})
	if code := h.deliver("ping", "answered-late", []byte(`{"zen":"Half measures are as bad as nothing at all."}`)); code != http.StatusOK {
		t.Fatalf("ping: status %d", code)
	}
	gh.LogHookAttempt(fakegithub.HookAttempt{GUID: "answered-late", Event: "ping", StatusCode: 0, Status: "timed out", DeliveredAt: time.Now().Add(-time.Minute)})

	waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("failure"))
	time.Sleep(300 * time.Millisecond)

	var redelivered []fakegithub.HookAttempt
	for _, a := range gh.HookAttempts() {
		if a.Redelivery {
			redelivered = append(redelivered, a)
		}
	}
	if len(redelivered) != 1 || redelivered[0].GUID != missed.GUID || redelivered[0].StatusCode != http.StatusAccepted {
		t.Fatalf("redeliveries %+v, want one of %s, accepted", redelivered, missed.GUID)
	}
	list := gh.Count("GET", "/app/hook/deliveries")
	ask := gh.Count("POST", "/app/hook/deliveries/{delivery_id}/attempts")
	if list != 1 || ask != 1 {
		t.Fatalf("%d listings and %d redelivery requests, want 1 and 1", list, ask)
	}
	for _, r := range gh.Requests() {
		if strings.HasPrefix(r.Route, "/app/hook/") && r.Installation != 0 {
			t.Errorf("%s %s used installation %d's token; the webhook log belongs to the App (JWT)", r.Method, r.Path, r.Installation)
		}
	}
	_, metrics := h.get("/metrics")
	for _, want := range []string{"mergeguard_redeliveries_requested_total 1", "mergeguard_missed_deliveries 1", "mergeguard_redeliveries_given_up_total 0"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if !h.logs.Contains("asked GitHub to redeliver a webhook delivery that never reached mergeguard") || !h.logs.Contains(missed.GUID) {
		t.Errorf("the redelivery is not logged with its delivery ID:\n%s", h.logs)
	}
}

// startRedelivering serves on ln with the redelivery job tuned.
func startRedelivering(t *testing.T, gh *fakegithub.Server, ln net.Listener, r queue.RedeliveryConfig) *harness {
	t.Helper()
	key, err := jwt.ParseRSAPrivateKeyFromPEM([]byte(gh.PrivateKeyPEM()))
	if err != nil {
		t.Fatal(err)
	}
	s := settings.Settings{
		Addr: ln.Addr().String(), AppID: gh.AppID(), PrivateKey: key, WebhookSecret: []byte(secret),
		GitHubAPIURL: gh.URL(), Database: dbtest.SQLiteConfig(t), CheckName: "mergeguard",
		Workers: 4, CoalesceQuiet: 150 * time.Millisecond, CoalesceMax: time.Second, ShutdownTimeout: 5 * time.Second,
		Policy: settings.Policy{Mode: decision.Enforce, PolicyRepo: ".github", PolicyDir: "mergeguard"},
	}
	ctx, cancel := context.WithCancel(context.Background())
	logs := &logbuf.Buffer{}
	h := &harness{t: t, gh: gh, base: "http://" + ln.Addr().String(), cancel: cancel, done: make(chan error, 1), logs: logs}
	go func() {
		h.done <- app.Run(ctx, s, app.Options{
			Log:      slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
			Listener: ln, PollInterval: 20 * time.Millisecond, Redelivery: r,
		})
	}()
	t.Cleanup(func() { h.stop() })
	parserReady(t)
	wait.Until(t, 10*time.Second, "the server to answer", func() bool {
		resp, err := http.Get(h.base + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	})
	return h
}
