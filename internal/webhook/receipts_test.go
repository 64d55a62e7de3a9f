package webhook

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/metrics"
	"github.com/mergeguard/mergeguard/internal/testsupport/logbuf"
)

// Every verified delivery must leave a trace, or the redelivery of missed
// deliveries would ask GitHub for it again whenever GitHub did not see the
// answer. Deliveries that become work are recorded with their job; the
// others leave a receipt. A delivery mergeguard failed to act on, or could
// not verify, must leave none: redelivering it is the point.
func TestVerifiedDeliveriesThatNeedNoJobLeaveAReceipt(t *testing.T) {
	push := `{"ref":"refs/heads/main","after":"c0ffee","repository":{"id":5,"name":".github","default_branch":"main","owner":{"login":"acme"}},"installation":{"id":1}}`
	tests := []struct {
		name, event, body string
		sig               func([]byte) string
		acceptErr         error
		pushErr           error
		status            int
		// receipt is the outcome noted, "" for none.
		receipt string
	}{
		{name: "ping", event: "ping", body: `{"zen":"Keep it logically awesome."}`, status: 200, receipt: "ping"},
		{name: "push", event: "push", body: push, status: 202, receipt: "push"},
		{name: "ignored event", event: "installation", body: `{"action":"created"}`, status: 202, receipt: "ignored"},
		{name: "ignored action", event: "pull_request", body: strings.Replace(prOpened, `"opened"`, `"assigned"`, 1), status: 202, receipt: "ignored"},
		{name: "verified but unusable", event: "pull_request", body: `{"action":"opened"`, status: 400, receipt: "malformed"},
		{name: "accepted with its job", event: "pull_request", body: prOpened, status: 202},
		{name: "push not acted on", event: "push", body: push, pushErr: errors.New("database down"), status: 503},
		{name: "not stored", event: "pull_request", body: prOpened, acceptErr: errors.New("database down"), status: 503},
		{name: "bad signature", event: "ping", body: `{}`, sig: func([]byte) string { return "sha256=" + strings.Repeat("0", 64) }, status: 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []decision.Receipt
			at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
			h, err := New([]byte(secret), &fakeAcceptor{outcome: decision.Queued, err: tt.acceptErr}, slog.New(slog.DiscardHandler), metrics.New(),
				func() time.Time { return at },
				WithPushObserver(func(context.Context, Push) error { return tt.pushErr }),
				WithReceipts(func(_ context.Context, r decision.Receipt) error { got = append(got, r); return nil }))
			if err != nil {
				t.Fatal(err)
			}
			sig := sign
			if tt.sig != nil {
				sig = tt.sig
			}
			req := httptest.NewRequest(http.MethodPost, "/webhook", strings.NewReader(tt.body))
			req.Header.Set("X-GitHub-Event", tt.event)
			req.Header.Set("X-GitHub-Delivery", "guid-1")
			req.Header.Set("X-Hub-Signature-256", sig([]byte(tt.body)))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			switch {
			case tt.receipt == "" && len(got) != 0:
				t.Fatalf("receipts %+v, want none", got)
			case tt.receipt != "" && (len(got) != 1 || got[0] != decision.Receipt{ID: "guid-1", Event: tt.event, Outcome: tt.receipt, ReceivedAt: at}):
				t.Fatalf("receipts %+v, want one with outcome %q", got, tt.receipt)
			}
		})
	}
}

// The receipt only spares GitHub a needless redelivery: failing to write it
// must not fail the delivery.
func TestAReceiptThatCannotBeWrittenDoesNotFailTheDelivery(t *testing.T) {
	logs := &logbuf.Buffer{}
	h, _ := New([]byte(secret), &fakeAcceptor{}, slog.New(slog.NewTextHandler(logs, nil)), metrics.New(), time.Now,
		WithReceipts(func(context.Context, decision.Receipt) error { return errors.New("database down") }))
	body := `{"zen":"Design for failure."}`
	req := httptest.NewRequest(http.MethodPost, "/webhook", strings.NewReader(body))
	req.Header.Set("X-GitHub-Event", "ping")
	req.Header.Set("X-GitHub-Delivery", "guid-2")
	req.Header.Set("X-Hub-Signature-256", sign([]byte(body)))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	if !strings.Contains(logs.String(), "could not note the delivery") || !strings.Contains(logs.String(), "guid-2") {
		t.Fatalf("the failure is not logged with the delivery:\n%s", logs)
	}
}
