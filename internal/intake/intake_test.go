package intake_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/mergeguard/mergeguard/internal/intake"
	"github.com/mergeguard/mergeguard/internal/metrics"
	"github.com/mergeguard/mergeguard/internal/testsupport/wait"
)

func TestAddress(t *testing.T) {
	for remote, want := range map[string]string{
		"192.0.2.7:4711":             "192.0.2.7",
		"[::ffff:192.0.2.7]:4711":    "192.0.2.7",
		"[2001:db8:1:2:3:4:5:6]:443": "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff::1]:443": "2001:db8:1:2::/64",
		"[2001:db8:1:3::1]:443":      "2001:db8:1:3::/64",
		"not an address":             "not an address",
		"@":                          "@",
		"[fe80::1%eth0]:80":          "fe80::/64",
		"127.0.0.1:1":                "127.0.0.1",
	} {
		if got := intake.Address(remote); got != want {
			t.Errorf("Address(%q) = %q, want %q", remote, got, want)
		}
	}
}

func TestBudgetSharesMemoryBetweenAddresses(t *testing.T) {
	l := intake.Limits{BufferBytes: 100 << 20, MaxBody: 25 << 20}
	b := intake.NewBudget(l, nil)
	if why := b.Take("a", 50<<20); why != "" {
		t.Fatalf("half the budget for one address: refused (%s)", why)
	}
	if why := b.Take("a", 1); why != metrics.RefusedAddressMemory {
		t.Fatalf("beyond its share: %q, want %s", why, metrics.RefusedAddressMemory)
	}
	if why := b.Take("b", 50<<20); why != "" {
		t.Fatalf("another address: refused (%s)", why)
	}
	if why := b.Take("c", 1); why != metrics.RefusedBodyMemory {
		t.Fatalf("beyond the budget: %q, want %s", why, metrics.RefusedBodyMemory)
	}
	b.Give("a", 50<<20)
	if why := b.Take("c", 1); why != "" || b.Used() != 50<<20+1 {
		t.Fatalf("after a release: %q, used %d", why, b.Used())
	}

	// A small budget still lets one address read the largest body.
	small := intake.NewBudget(intake.Limits{BufferBytes: 26 << 20, MaxBody: 25 << 20}, nil)
	if why := small.Take("a", 25<<20); why != "" {
		t.Fatalf("the largest body under a small budget: refused (%s)", why)
	}
}

// server reads request bodies with rd and reports what Read returned.
func server(t *testing.T, rd *intake.Reader) (string, <-chan error) {
	t.Helper()
	results := make(chan error, 256)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := rd.Read(w, r)
		if err == nil && int64(len(body)) != r.ContentLength && r.ContentLength >= 0 {
			err = fmt.Errorf("read %d bytes of %d", len(body), r.ContentLength)
		}
		select {
		case results <- err:
		default: // the test has what it needed
		}
		if err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, len(body))
	}))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String(), results
}

// slowClient sends headers declaring length bytes and the first of them,
// then nothing.
func slowClient(t *testing.T, addr string, length int64, first []byte) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\nX-Hub-Signature-256: sha256=%s\r\n\r\n", length, strings.Repeat("0", 64))
	if _, err := c.Write(first); err != nil {
		t.Fatal(err)
	}
	return c
}

func post(addr string, body string) (*http.Response, error) {
	return http.Post("http://"+addr+"/webhook", "application/json", strings.NewReader(body))
}

func TestMemoryIsHeldAsBytesArriveNotAsAnnounced(t *testing.T) {
	rd := &intake.Reader{Limits: intake.Limits{BufferBytes: 64 << 20, MaxBody: 25 << 20}}
	rd.Budget = intake.NewBudget(rd.Limits, nil)
	addr, results := server(t, rd)

	for i := 0; i < 50; i++ {
		slowClient(t, addr, 25<<20, []byte("{"))
	}
	wait.Until(t, 10*time.Second, "the 50 slow bodies being read", func() bool { return rd.Budget.Used() >= 50*intake.FirstBuffer })
	if used := rd.Budget.Used(); used != 50*intake.FirstBuffer {
		t.Fatalf("50 clients that announced 25 MiB and sent a byte hold %d bytes, want 50 buffers of 32 KiB", used)
	}
	resp, err := post(addr, `{"zen":"ok"}`)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("a delivery beside 50 slow ones: status %d", resp.StatusCode)
	}
	if err := <-results; err != nil {
		t.Fatalf("the delivery beside them: %v", err)
	}
}

func TestAFullBudgetRefusesAtOnceInsteadOfWaiting(t *testing.T) {
	// 64 KiB in all: one address may hold all of it (a body may be 1 MiB).
	rd := &intake.Reader{Limits: intake.Limits{BufferBytes: 64 << 10, MaxBody: 1 << 20}}
	rd.Budget = intake.NewBudget(rd.Limits, nil)
	addr, results := server(t, rd)

	// 40 KiB sent of 1 MiB: the buffer has grown to 64 KiB, the whole
	// budget, and the client goes quiet.
	slowClient(t, addr, 1<<20, make([]byte, 40<<10))
	wait.Until(t, 10*time.Second, "the first body to hold the budget", func() bool { return rd.Budget.Used() == 64<<10 })

	resp, err := post(addr, `{}`)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var busy *intake.BusyError
	if err := <-results; !errors.As(err, &busy) || busy.Reason != metrics.RefusedAddressMemory || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("status %d, %v; want the second body refused at once for its address's memory", resp.StatusCode, err)
	}
}

func TestBodiesLongerThanAllowedAreRefused(t *testing.T) {
	rd := &intake.Reader{Limits: intake.Limits{BufferBytes: 64 << 20, MaxBody: 100 << 10}}
	rd.Budget = intake.NewBudget(rd.Limits, nil)
	addr, results := server(t, rd)
	for name, declare := range map[string]bool{"declared": true, "chunked": false} {
		t.Run(name, func(t *testing.T) {
			body := strings.NewReader(strings.Repeat("x", 100<<10+1))
			req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/webhook", io.MultiReader(body))
			if declare {
				req.ContentLength = 100<<10 + 1
			}
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				resp.Body.Close()
			}
			var tooBig *http.MaxBytesError
			if err := <-results; !errors.As(err, &tooBig) {
				t.Fatalf("read %v, want a MaxBytesError", err)
			}
			if rd.Budget.Used() != 0 {
				t.Fatalf("%d bytes still held", rd.Budget.Used())
			}
		})
	}
}

func TestABodyThatStopsArrivingMissesItsDeadline(t *testing.T) {
	rd := &intake.Reader{Limits: intake.Limits{BufferBytes: 64 << 20, MaxBody: 25 << 20, BodyGrace: 50 * time.Millisecond}}
	rd.Budget = intake.NewBudget(rd.Limits, nil)
	addr, results := server(t, rd)
	c := slowClient(t, addr, 10, []byte("{"))
	if err := <-results; !errors.Is(err, intake.ErrTooSlow) {
		t.Fatalf("read %v, want ErrTooSlow", err)
	}
	// The server answers and closes the connection; nothing is held.
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("answer %v, %v", resp, err)
	}
	if rd.Budget.Used() != 0 {
		t.Fatalf("%d bytes still held", rd.Budget.Used())
	}
}

func TestAnAddressKeepsAtMostItsConnections(t *testing.T) {
	m := metrics.New()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	limited := intake.Listen(ln, intake.Limits{ConnectionsPerAddress: 2}, m.Intake, slog.New(slog.DiscardHandler))
	var idle atomic.Int64 // connections that went idle
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "ok") }),
		ConnState: func(c net.Conn, st http.ConnState) {
			limited.ConnState(c, st)
			if st == http.StateIdle {
				idle.Add(1)
			}
		}}
	go srv.Serve(limited)
	t.Cleanup(func() { srv.Close() })

	dial := func() net.Conn {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	get := func(c net.Conn) error {
		if _, err := fmt.Fprint(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			return err
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	refused := func() float64 {
		return testutil.ToFloat64(m.Intake.Refused.WithLabelValues(metrics.RefusedAddressConnections))
	}
	open := func(n float64) {
		wait.Until(t, 10*time.Second, fmt.Sprintf("%v open connections", n), func() bool { return testutil.ToFloat64(m.Intake.Connections) == n })
	}

	// Two connections that send nothing hold the address's places.
	silent := []net.Conn{dial(), dial()}
	open(2)
	if err := get(dial()); err == nil || refused() != 1 {
		t.Fatalf("a third connection beside two silent ones: %v, refused %v", err, refused())
	}
	silent[0].Close()
	open(1)
	later := dial()
	if err := get(later); err != nil {
		t.Fatalf("a connection once another closed: %v", err)
	}
	silent[1].Close()
	later.Close()
	open(0)

	// Connections waiting idle between requests make room for new ones.
	idle.Store(0)
	first, second := dial(), dial()
	for _, c := range []net.Conn{first, second} {
		if err := get(c); err != nil {
			t.Fatal(err)
		}
	}
	wait.Until(t, 10*time.Second, "both connections to wait idle", func() bool { return idle.Load() == 2 })
	if err := get(dial()); err != nil || refused() != 1 {
		t.Fatalf("a connection beside two idle ones: %v, refused %v", err, refused())
	}
	open(2)
}
