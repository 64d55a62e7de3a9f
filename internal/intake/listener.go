package intake

import (
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/mergeguard/mergeguard/internal/metrics"
)

// Listener keeps each address to Limits.ConnectionsPerAddress open
// connections. Give its ConnState to the http.Server that serves it: a
// connection kept alive between requests is then closed to make room for
// a new one from its address, so only connections that are in a request,
// or have not sent one yet, count against the limit. A connection beyond
// the limit is closed as soon as it is accepted, and counted. Open
// connections are shown in m.Connections.
type Listener struct {
	net.Listener
	max  int
	m    *metrics.Intake
	log  *slog.Logger
	warn rate.Sometimes

	mu sync.Mutex
	// open holds each address's connections, and whether each is idle.
	open map[string]map[*conn]bool
}

// Listen wraps ln.
func Listen(ln net.Listener, l Limits, m *metrics.Intake, log *slog.Logger) *Listener {
	return &Listener{Listener: ln, max: l.ConnectionsPerAddress, m: m, log: log,
		open: map[string]map[*conn]bool{}, warn: rate.Sometimes{Interval: 10 * time.Second}}
}

// Accept returns the next connection its address may open.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		addr := Address(c.RemoteAddr().String())
		admitted, idle := l.admit(addr, c)
		if idle != nil {
			idle.Close() // it waited for a next request; its client can connect again
			admitted, _ = l.admit(addr, c)
		}
		if admitted != nil {
			l.m.Connections.Inc()
			return admitted, nil
		}
		l.m.Refused.WithLabelValues(metrics.RefusedAddressConnections).Inc()
		c.Close()
		l.warn.Do(func() {
			l.log.Warn("refused a connection: its address has as many open as it may (further refusals are counted in mergeguard_intake_refused_total)",
				"address", addr, "limit", l.max)
		})
	}
}

// admit registers c under addr when the address has room. When it has
// none, it returns an idle connection of the address to close instead,
// if there is one.
func (l *Listener) admit(addr string, c net.Conn) (admitted, idle *conn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	conns := l.open[addr]
	if l.max > 0 && len(conns) >= l.max {
		for other, isIdle := range conns {
			if isIdle {
				conns[other] = false // closing: not to be chosen again
				return nil, other
			}
		}
		return nil, nil
	}
	if conns == nil {
		conns = map[*conn]bool{}
		l.open[addr] = conns
	}
	admitted = &conn{Conn: c, addr: addr}
	admitted.release = func() { l.leave(admitted) }
	conns[admitted] = false
	return admitted, nil
}

func (l *Listener) leave(c *conn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.open[c.addr], c)
	if len(l.open[c.addr]) == 0 {
		delete(l.open, c.addr)
	}
	l.m.Connections.Dec()
}

// ConnState notes which connections wait idle between requests (set it as
// the http.Server's ConnState).
func (l *Listener) ConnState(nc net.Conn, state http.ConnState) {
	c, ok := nc.(*conn)
	if !ok {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, open := l.open[c.addr][c]; open {
		l.open[c.addr][c] = state == http.StateIdle
	}
}

// conn gives its address's place back once, when it is closed.
type conn struct {
	net.Conn
	addr    string
	once    sync.Once
	release func()
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
