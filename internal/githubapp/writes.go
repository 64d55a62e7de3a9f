package githubapp

import (
	"net/http"
	"strings"
	"sync"
	"time"
)

// WritesPerMinute is GitHub's documented ceiling on one installation's
// content-creating requests (check runs, comments, reactions) in a minute;
// going over it earns a secondary rate limit.
const WritesPerMinute = 80

// writePace keeps an installation's content-creating requests within
// WritesPerMinute in any minute: it remembers when the writes of the last
// minute were sent, and a write may go once fewer than 80 were. A write
// GitHub refused with a rate limit created nothing, and gives its place
// back.
type writePace struct {
	mu sync.Mutex
	// sent are the times of the writes sent within the last minute, oldest
	// first.
	sent []time.Time
}

// reserve takes a place for a write sent at now and returns 0, or returns
// how long to wait before asking again without taking one.
func (w *writePace) reserve(now time.Time) time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	old := 0
	for old < len(w.sent) && !now.Before(w.sent[old].Add(time.Minute)) {
		old++
	}
	w.sent = w.sent[old:]
	if len(w.sent) >= WritesPerMinute {
		return w.sent[0].Add(time.Minute).Sub(now)
	}
	w.sent = append(w.sent, now)
	return 0
}

// refund gives back the place a write took at at: GitHub refused it.
func (w *writePace) refund(at time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := len(w.sent) - 1; i >= 0; i-- {
		if w.sent[i].Equal(at) {
			w.sent = append(w.sent[:i], w.sent[i+1:]...)
			return
		}
	}
}

// createsContent reports whether a request counts against GitHub's limit
// on content-creating requests: a write to a repository, not the App's own
// calls (installation tokens, webhook redeliveries), which GitHub does not
// count as content.
func createsContent(req *http.Request) bool {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	p := req.URL.Path
	return !strings.Contains(p, "/app/installations/") && !strings.Contains(p, "/app/hook/")
}
