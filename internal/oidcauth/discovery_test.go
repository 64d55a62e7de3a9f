package oidcauth

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

func TestDiscoveryIsLazyAndRetried(t *testing.T) {
	iss := newTestIssuer(t)
	iss.publish("k1", testKeys()[0])
	iss.setDown(true)

	v := iss.verifier(t) // a server starts while its issuer is down
	if n := iss.discoveries.Load(); n != 0 {
		t.Fatalf("New fetched discovery %d times; it must wait for the first token", n)
	}
	raw := token(nil)(t, iss)
	_, err := v.Verify(context.Background(), raw)
	e := checkRejected(t, err, raw, reasonUnreachable)
	if !strings.Contains(e.Detail, "503") {
		t.Errorf("detail does not say what the issuer answered: %s", e.Detail)
	}

	iss.setDown(false)
	for i := range 3 {
		if _, err := v.Verify(context.Background(), raw); err != nil {
			t.Fatalf("verify %d after the issuer came back: %v", i, err)
		}
	}
	if n := iss.discoveries.Load(); n != 2 {
		t.Errorf("discovery fetched %d times, want 2 (the failure, then once for good)", n)
	}
	if n := iss.keyFetches.Load(); n != 1 {
		t.Errorf("keys fetched %d times, want 1 (then cached)", n)
	}
}

func TestIssuerNotListening(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	v, err := New(Config{Issuer: url, Audience: testAudience, Now: clock})
	if err != nil {
		t.Fatalf("New must not contact the issuer: %v", err)
	}
	raw := sign(t, testKeys()[0], "k1", jose.RS256, workflowClaims(url))
	_, err = v.Verify(context.Background(), raw)
	checkRejected(t, err, raw, reasonUnreachable)
}

func TestKeyRotation(t *testing.T) {
	keys := testKeys()
	iss := newTestIssuer(t)
	iss.publish("k1", keys[0])
	v := iss.verifier(t)
	old := token(nil)(t, iss)
	if _, err := v.Verify(context.Background(), old); err != nil {
		t.Fatalf("token under the first key: %v", err)
	}

	rotated := sign(t, keys[1], "k2", jose.RS256, workflowClaims(iss.srv.URL))
	_, err := v.Verify(context.Background(), rotated)
	checkRejected(t, err, rotated, reasonUnknownKey)

	iss.publish("k2", keys[1])
	got, err := v.Verify(context.Background(), rotated)
	if err != nil {
		t.Fatalf("token under the new key, once published: %v", err)
	}
	if got.Repository != "octo/widgets" {
		t.Errorf("claims after rotation: %+v", got)
	}
	if _, err := v.Verify(context.Background(), old); err != nil {
		t.Fatalf("token under the first key, still published: %v", err)
	}
	if n := iss.discoveries.Load(); n != 1 {
		t.Errorf("discovery fetched %d times; rotation must not rediscover", n)
	}
}

func TestKeysUnreachable(t *testing.T) {
	keys := testKeys()
	iss := newTestIssuer(t)
	iss.publish("k1", keys[0])
	v := iss.verifier(t)
	known := token(nil)(t, iss)
	if _, err := v.Verify(context.Background(), known); err != nil {
		t.Fatal(err)
	}

	iss.setDown(true)
	// A token under a cached key needs no fetch.
	if _, err := v.Verify(context.Background(), known); err != nil {
		t.Fatalf("cached key while the issuer is down: %v", err)
	}
	// One under a new key needs the key set, which cannot be had now.
	fresh := sign(t, keys[1], "k2", jose.RS256, workflowClaims(iss.srv.URL))
	_, err := v.Verify(context.Background(), fresh)
	e := checkRejected(t, err, fresh, reasonUnreachable)
	if !strings.Contains(e.Detail, "signing keys") {
		t.Errorf("detail does not say the keys could not be fetched: %s", e.Detail)
	}
}

func TestDiscoveryProblems(t *testing.T) {
	tests := []struct {
		name   string
		issuer string // named by the discovery document
		detail string
	}{
		{"names another issuer", "https://elsewhere.example", `names its issuer "https://elsewhere.example"`},
		{"oversized document", strings.Repeat("x", maxDocumentBytes), "more than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			iss := newTestIssuer(t)
			iss.publish("k1", testKeys()[0])
			iss.name = tc.issuer
			raw := token(nil)(t, iss)
			_, err := iss.verifier(t).Verify(context.Background(), raw)
			e := checkRejected(t, err, raw, reasonUnreachable)
			if !strings.Contains(e.Detail, tc.detail) {
				t.Errorf("detail %q does not mention %q", e.Detail, tc.detail)
			}
		})
	}
}

func TestDiscoveryBoundedByCallerContext(t *testing.T) {
	iss := newTestIssuer(t)
	iss.publish("k1", testKeys()[0])
	stall := make(chan struct{})
	iss.stall = stall
	t.Cleanup(func() { close(stall) }) // before the server's Close, which waits for handlers

	v := iss.verifier(t)
	raw := token(nil)(t, iss)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := v.Verify(ctx, raw)
	checkRejected(t, err, raw, reasonUnreachable)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Verify took %v with a 100ms context", d)
	}
}

func TestCancelledContext(t *testing.T) {
	iss := newTestIssuer(t)
	iss.publish("k1", testKeys()[0])
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	raw := token(nil)(t, iss)
	_, err := iss.verifier(t).Verify(ctx, raw)
	checkRejected(t, err, raw, reasonUnreachable)
}

func TestConcurrentFirstUse(t *testing.T) {
	iss := newTestIssuer(t)
	iss.publish("k1", testKeys()[0])
	v := iss.verifier(t)
	raw := token(nil)(t, iss)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			if _, err := v.Verify(context.Background(), raw); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := iss.discoveries.Load(); n != 1 {
		t.Errorf("discovery fetched %d times by concurrent first calls, want 1", n)
	}
}

func TestDefaultHTTPClient(t *testing.T) {
	iss := newTestIssuer(t)
	iss.publish("k1", testKeys()[0])
	v, err := New(Config{Issuer: iss.srv.URL, Audience: testAudience, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), token(nil)(t, iss)); err != nil {
		t.Fatal(err)
	}
	if http.DefaultClient.Transport != nil {
		t.Errorf("New changed http.DefaultClient's transport to %T", http.DefaultClient.Transport)
	}
}
