// Package wait polls for a condition in tests that observe asynchronous work
// (jobs, servers, processes), failing with a message when it never holds.
package wait

import (
	"testing"
	"time"
)

// Until polls cond every 10ms until it returns true, and fails the test with
// what (describing the awaited condition) after timeout.
func Until(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
