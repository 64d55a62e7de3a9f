package app_test

import (
	"context"
	"crypto/rsa"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v4"

	"github.com/mergeguard/mergeguard/internal/app"
	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/settings"
	"github.com/mergeguard/mergeguard/internal/testsupport/dbtest"
	"github.com/mergeguard/mergeguard/internal/testsupport/fakegithub"
)

// BenchmarkWebhookToCheckRun is the latency a developer sees: from a signed
// pull_request.opened delivery to the completed check run on the fake GitHub,
// with the default coalescing window (500ms quiet) and SQLite polling.
func BenchmarkWebhookToCheckRun(b *testing.B) {
	for name, cfg := range dbtest.Backends(b) {
		b.Run(name, func(b *testing.B) {
			gh := fakegithub.New(b)
			repo := gh.AddRepo(77, "acme", "shop")
			key, _ := jwt.ParseRSAPrivateKeyFromPEM([]byte(gh.PrivateKeyPEM()))
			base := startForBenchmark(b, gh, key, cfg(b))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				pr := repo.OpenPR(fakegithub.PRSpec{Title: fmt.Sprint("change ", i), Author: "dev",
					Files: []fakegithub.File{{Path: "a.go", Patch: "@@ -1 +1 @@\n-a\n+b\n"}}})
				if code := sendWebhook(b, base, "pull_request", "", gh.Payload("pull_request", "opened", pr, nil)); code != http.StatusAccepted {
					b.Fatalf("status %d", code)
				}
				for len(gh.CheckRuns("acme/shop", pr.HeadSHA())) == 0 {
					time.Sleep(time.Millisecond)
				}
			}
		})
	}
}

func startForBenchmark(b *testing.B, gh *fakegithub.Server, key *rsa.PrivateKey, db settings.Database) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	s := settings.Settings{
		AppID: gh.AppID(), PrivateKey: key, WebhookSecret: []byte(secret), GitHubAPIURL: gh.URL(),
		Database: db, CheckName: "mergeguard", Policy: settings.Policy{Mode: decision.Enforce}, Workers: 10,
		CoalesceQuiet: 500 * time.Millisecond, CoalesceMax: 3 * time.Second, ShutdownTimeout: 5 * time.Second,
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx, s, app.Options{Log: slog.New(slog.DiscardHandler), Listener: ln}) }()
	b.Cleanup(func() { cancel(); <-done })
	parserReady(b)
	return "http://" + ln.Addr().String()
}
