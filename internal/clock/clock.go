// Package clock holds the one way production code waits: a sleep that ends
// early when its context is done, so that a shutdown or a job's timeout is
// never held up by a pause. Reading the time is not here: code that needs
// it takes a func() time.Time, so that tests can set the time.
package clock

import (
	"context"
	"time"
)

// Sleep waits for d or until ctx is done, whichever comes first, and returns
// ctx's error when ctx ended the wait.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
