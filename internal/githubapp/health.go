package githubapp

import (
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// When GitHub stops answering an installation's requests altogether (an
// outage, or the network path to it cut), sending every evaluation's
// requests three times over only adds load to a GitHub that is down and
// uses up the jobs' attempts. So an installation is judged unavailable
// after outageFailures failed attempts in a row spanning outageSpan (5xx,
// no answer in time, a broken connection; a rate limit or any 4xx is an
// answer). While it is, its requests are not sent: they fail at once with
// an *UnavailableError whose OutageSince says since when, and the queue
// puts their jobs aside without spending an attempt. One request at a time
// goes out as a probe, at most every probeEvery; the first that GitHub
// answers ends the outage. Random faults do not trip it: at 20 % of
// requests failing, ten failures in a row happen once in ten million.
const (
	outageFailures = 10
	outageSpan     = 5 * time.Second
	probeEvery     = 5 * time.Second
)

// health is one installation's view of GitHub's availability.
type health struct {
	installation string
	log          *slog.Logger
	gauge        prometheus.Gauge

	mu sync.Mutex
	// failures counts failed attempts since the last answer; streakStart
	// is when the first of them ended.
	failures    int
	streakStart time.Time
	// down is the start of the outage (zero while GitHub answers).
	down time.Time
	// probing is true while a probe is in flight; lastProbe is when the
	// last one went out.
	probing   bool
	lastProbe time.Time
}

func newHealth(installation string, log *slog.Logger, gauge prometheus.Gauge) *health {
	gauge.Set(1)
	return &health{installation: installation, log: log, gauge: gauge}
}

// admit says whether a request may go out now: always while GitHub
// answers; during an outage only as the one probe. It returns the outage's
// start when the request must not be sent, and probe true when it is the
// probe (the caller must then report it with observe or abandon).
func (h *health) admit(now time.Time) (since time.Time, probe bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.down.IsZero() {
		return time.Time{}, false
	}
	if h.probing || now.Sub(h.lastProbe) < probeEvery {
		return h.down, false
	}
	h.probing, h.lastProbe = true, now
	return time.Time{}, true
}

// observe records an attempt's outcome: answered is true when GitHub
// answered (any status below 500).
func (h *health) observe(now time.Time, answered, probe bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if probe {
		h.probing = false
	}
	if answered {
		h.failures = 0
		if !h.down.IsZero() {
			h.log.Info("GitHub answers this installation's requests again; evaluations that waited for it resume",
				"installation", h.installation, "unavailable_for", now.Sub(h.down).Round(time.Second).String())
			h.down = time.Time{}
			h.gauge.Set(1)
		}
		return
	}
	if h.failures == 0 {
		h.streakStart = now
	}
	h.failures++
	if h.down.IsZero() && h.failures >= outageFailures && now.Sub(h.streakStart) >= outageSpan {
		h.down, h.lastProbe = h.streakStart, now
		h.gauge.Set(0)
		h.log.Warn("GitHub is not answering this installation's requests; evaluations wait for it instead of failing, and one request is sent every few seconds to notice its return",
			"installation", h.installation, "failed_attempts", h.failures, "since", h.down.UTC().Format(time.RFC3339))
	}
}

// abandon ends a probe that got no outcome (its caller gave up).
func (h *health) abandon(probe bool) {
	if !probe {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.probing = false
}

// since is the start of the outage, or zero while GitHub answers.
func (h *health) since() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.down
}
