package cli_test

import (
	"os"
	"testing"

	"github.com/mergeguard/mergeguard/internal/policy"
)

// TestMain lets the test binary serve as the policy worker that `serve`
// starts.
func TestMain(m *testing.M) {
	policy.RunAsWorker()
	os.Exit(m.Run())
}
