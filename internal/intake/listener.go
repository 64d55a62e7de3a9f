package intake

import (
	"log/slog"
	"net"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/mergeguard/mergeguard/internal/metrics"
)

// Listen wraps ln so that one address keeps at most
// Limits.ConnectionsPerAddress connections open: a connection beyond that
// is closed as soon as it is accepted, and counted. Open connections are
// shown in m.Connections.
func Listen(ln net.Listener, l Limits, m *metrics.Intake, log *slog.Logger) net.Listener {
	return &listener{Listener: ln, max: l.ConnectionsPerAddress, m: m, log: log,
		open: map[string]int{}, warn: rate.Sometimes{Interval: 10 * time.Second}}
}

type listener struct {
	net.Listener
	max  int
	m    *metrics.Intake
	log  *slog.Logger
	warn rate.Sometimes

	mu   sync.Mutex
	open map[string]int
}

func (l *listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		addr := Address(c.RemoteAddr().String())
		if l.admit(addr) {
			l.m.Connections.Inc()
			return &conn{Conn: c, release: func() { l.leave(addr) }}, nil
		}
		l.m.Refused.WithLabelValues(metrics.RefusedAddressConnections).Inc()
		c.Close()
		l.warn.Do(func() {
			l.log.Warn("refused a connection: its address has as many open as it may (further refusals are counted in mergeguard_intake_refused_total)",
				"address", addr, "limit", l.max)
		})
	}
}

func (l *listener) admit(addr string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.max > 0 && l.open[addr] >= l.max {
		return false
	}
	l.open[addr]++
	return true
}

func (l *listener) leave(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[addr]--; l.open[addr] <= 0 {
		delete(l.open, addr)
	}
	l.m.Connections.Dec()
}

// conn gives its address's place back once, when it is closed.
type conn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
