package policy

import (
	"os"
	"testing"
)

// TestMain lets the test binary serve as a policy worker for the tests that
// start workers.
func TestMain(m *testing.M) {
	RunAsWorker()
	os.Exit(m.Run())
}
