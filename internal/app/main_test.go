package app_test

import (
	"os"
	"testing"

	"github.com/mergeguard/mergeguard/internal/policy"
)

// TestMain lets the test binary serve as the policy worker a server with
// policy workers starts.
func TestMain(m *testing.M) {
	policy.RunAsWorker()
	os.Exit(m.Run())
}
