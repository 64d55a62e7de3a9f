package clock

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestSleep(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancelExpired := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancelExpired()
	for _, tt := range []struct {
		name string
		ctx  context.Context
		d    time.Duration
		want error
	}{
		{"no wait", context.Background(), 0, nil},
		{"negative wait", context.Background(), -time.Second, nil},
		// A wait far longer than any test run: only the context can end it.
		{"canceled context ends a long wait", canceled, 24 * time.Hour, context.Canceled},
		{"expired context ends a long wait", expired, 24 * time.Hour, context.DeadlineExceeded},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := Sleep(tt.ctx, tt.d); !errors.Is(err, tt.want) {
				t.Errorf("Sleep = %v, want %v", err, tt.want)
			}
		})
	}
}
