package fakegithub

import (
	"net/http"
	"sync"
	"time"
)

// traffic watches requests in flight and holds stalled ones.
type traffic struct {
	mu          sync.Mutex
	inFlight    int
	maxInFlight int
	stalls      []*stall
	latency     time.Duration
}

type stall struct {
	method, route string
	remaining     int
}

// stallCap bounds how long a stalled request is held when the client never
// gives up, so the fake can still shut down.
const stallCap = 10 * time.Second

// Stall makes the next n requests to method+route get no answer, like a
// GitHub that accepted the connection and hangs: each is held until the
// client gives up (then it is logged with status 0), or answered 504 after
// 10 seconds.
func (s *Server) Stall(method, route string, n int) {
	s.traffic.mu.Lock()
	defer s.traffic.mu.Unlock()
	s.traffic.stalls = append(s.traffic.stalls, &stall{method: method, route: route, remaining: n})
}

// SetLatency makes every API request take at least d before it is
// answered, like a GitHub far away or under load: work stays in flight long
// enough for a test to interrupt it.
func (s *Server) SetLatency(d time.Duration) {
	s.traffic.mu.Lock()
	defer s.traffic.mu.Unlock()
	s.traffic.latency = d
}

// delay waits out the latency (at least d), or until the client gives up.
func (t *traffic) delay(r *http.Request, d time.Duration) {
	t.mu.Lock()
	d = max(d, t.latency)
	t.mu.Unlock()
	if d <= 0 {
		return
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-r.Context().Done():
	}
}

// InFlight is how many API requests the fake is handling (or holding, see
// Pause and Stall) right now.
func (s *Server) InFlight() int {
	s.traffic.mu.Lock()
	defer s.traffic.mu.Unlock()
	return s.traffic.inFlight
}

// MaxInFlight is the most API requests the fake handled at once since it
// started or since ResetMaxInFlight.
func (s *Server) MaxInFlight() int {
	s.traffic.mu.Lock()
	defer s.traffic.mu.Unlock()
	return s.traffic.maxInFlight
}

// ResetMaxInFlight restarts the high-water mark from the requests in flight
// now.
func (s *Server) ResetMaxInFlight() {
	s.traffic.mu.Lock()
	defer s.traffic.mu.Unlock()
	s.traffic.maxInFlight = s.traffic.inFlight
}

// enter counts a request in flight until the returned func is called.
func (t *traffic) enter() func() {
	t.mu.Lock()
	t.inFlight++
	t.maxInFlight = max(t.maxInFlight, t.inFlight)
	t.mu.Unlock()
	return func() {
		t.mu.Lock()
		t.inFlight--
		t.mu.Unlock()
	}
}

// stalled holds the request when a stall applies to it, and reports whether
// it did; the request then has had its answer (none, or a 504).
func (t *traffic) stalled(rt route, w http.ResponseWriter, r *http.Request) bool {
	t.mu.Lock()
	var hit *stall
	for _, st := range t.stalls {
		if st.remaining > 0 && st.method == rt.method && st.route == rt.path {
			st.remaining--
			hit = st
			break
		}
	}
	t.mu.Unlock()
	if hit == nil {
		return false
	}
	timer := time.NewTimer(stallCap)
	defer timer.Stop()
	select {
	case <-r.Context().Done():
	case <-timer.C:
		writeJSON(w, http.StatusGatewayTimeout, errorBody("The fake held this request (Stall) and the client never gave up"))
	}
	return true
}
