package webhook_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/metrics"
	"github.com/mergeguard/mergeguard/internal/queue"
	"github.com/mergeguard/mergeguard/internal/testsupport/dbtest"
	"github.com/mergeguard/mergeguard/internal/webhook"
)

// BenchmarkAcknowledge measures what a delivery costs before GitHub gets its
// answer: read, verify the signature, parse, and commit the delivery and its
// job in one transaction. "new-pr" inserts a job each time; "same-pr" is a
// burst on one pull request, coalesced into the pending job.
func BenchmarkAcknowledge(b *testing.B) {
	const secret = "bench-secret"
	for name, cfg := range dbtest.Backends(b) {
		for _, mode := range []string{"new-pr", "same-pr"} {
			b.Run(name+"/"+mode, func(b *testing.B) {
				db := dbtest.Open(b, cfg(b))
				q, err := queue.New(db, queue.EvaluatorFunc(nil), queue.Config{})
				if err != nil {
					b.Fatal(err)
				}
				h, err := webhook.New([]byte(secret), q, slog.New(slog.DiscardHandler), metrics.New(), time.Now)
				if err != nil {
					b.Fatal(err)
				}
				bodies := make([][]byte, b.N)
				for i := range bodies {
					n := i + 1
					if mode == "same-pr" {
						n = 1
					}
					bodies[i] = []byte(fmt.Sprintf(`{"action":"synchronize","number":%d,"pull_request":{"number":%d,"title":"Bump dependencies","head":{"sha":"0123456789abcdef0123456789abcdef01234567","ref":"deps"},"base":{"ref":"main"}},"repository":{"id":100,"name":"shop","full_name":"acme/shop","owner":{"login":"acme"}},"installation":{"id":42},"sender":{"login":"dev"}}`, n, n))
				}
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					mac := hmac.New(sha256.New, []byte(secret))
					mac.Write(bodies[i])
					req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(bodies[i]))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("X-GitHub-Event", "pull_request")
					req.Header.Set("X-GitHub-Delivery", fmt.Sprintf("bench-%d", i))
					req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, req)
					if rec.Code != http.StatusAccepted {
						b.Fatalf("status %d: %s", rec.Code, rec.Body)
					}
				}
			})
		}
	}
}
