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
// WritesPerMinute in any minute: it remembers when the last 80 were sent,
// and a write may go once the oldest of them is a minute old.
type writePace struct {
	mu   sync.Mutex
	sent [WritesPerMinute]time.Time
	next int
}

// reserve takes a slot for a write at now and returns 0, or returns how
// long to wait before asking again without taking one.
func (w *writePace) reserve(now time.Time) time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	oldest := w.sent[w.next]
	if !oldest.IsZero() {
		if free := oldest.Add(time.Minute); now.Before(free) {
			return free.Sub(now)
		}
	}
	w.sent[w.next] = now
	w.next = (w.next + 1) % len(w.sent)
	return 0
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
