// Package intake bounds what clients can make the server hold before they
// are answered: open connections per address, the memory of request
// bodies being read, and how long a body may take to arrive. A webhook is
// verified only once its whole body is read, so these limits are what
// keeps anyone on the network, signature or not, from stalling the
// deliveries GitHub sends. None of them waits: a request that would exceed
// a limit is refused at once, so a client that stays silent holds nothing
// that another client waits for.
package intake

import (
	"net"
	"net/netip"
	"time"
)

// Limits are the intake's settings.
type Limits struct {
	// BufferBytes bounds the memory held for request bodies being read, all
	// clients together. One address may hold half of it, and at least
	// enough for one body of MaxBody bytes.
	BufferBytes int64
	// MaxBody is the largest body a request may have.
	MaxBody int64
	// ConnectionsPerAddress bounds the connections one address may keep
	// open; 0 means no bound.
	ConnectionsPerAddress int
	// BodyGrace replaces DefaultBodyGrace when set (tests).
	BodyGrace time.Duration
}

// The deadlines a body must meet: it may take DefaultBodyGrace plus its
// length at MinBodyRate. A 25 MiB delivery then has 30 seconds, a typical
// one of a few kilobytes 5 seconds; GitHub itself gives up on a delivery
// after 10 seconds.
const (
	MinBodyRate      = 1 << 20 // bytes per second
	DefaultBodyGrace = 5 * time.Second
	// HeaderTimeout bounds the wait for a request's headers.
	HeaderTimeout = 10 * time.Second
)

// BodyTimeout is how long a body of length bytes (-1: not declared, so
// the largest allowed) may take to arrive.
func (l Limits) BodyTimeout(length int64) time.Duration {
	if length < 0 || length > l.MaxBody {
		length = l.MaxBody
	}
	grace := l.BodyGrace
	if grace <= 0 {
		grace = DefaultBodyGrace
	}
	return grace + time.Duration(length)*time.Second/MinBodyRate
}

// addressShare is what one address may hold of the body memory.
func (l Limits) addressShare() int64 {
	return min(l.BufferBytes, max(l.BufferBytes/2, l.MaxBody+FirstBuffer))
}

// Address is the key limits are counted under for a remote address
// ("host:port"): the IP address, or for IPv6 its /64 network, which one
// client usually has entirely.
func Address(remote string) string {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}
