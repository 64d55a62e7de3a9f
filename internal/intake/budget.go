package intake

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mergeguard/mergeguard/internal/metrics"
)

// Budget is the memory request bodies may hold, in all and per address.
// Take never waits: what does not fit is refused.
type Budget struct {
	limit, share int64
	gauge        prometheus.Gauge

	mu     sync.Mutex
	used   int64
	byAddr map[string]int64
}

// NewBudget returns the budget of l. gauge (optional) shows the bytes held.
func NewBudget(l Limits, gauge prometheus.Gauge) *Budget {
	return &Budget{limit: l.BufferBytes, share: l.addressShare(), gauge: gauge, byAddr: map[string]int64{}}
}

// Take reserves n bytes for addr. It returns "" when they were reserved,
// or the limit that refused them (metrics.RefusedBodyMemory or
// metrics.RefusedAddressMemory).
func (b *Budget) Take(addr string, n int64) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.byAddr[addr]+n > b.share:
		return metrics.RefusedAddressMemory
	case b.used+n > b.limit:
		return metrics.RefusedBodyMemory
	}
	b.used += n
	b.byAddr[addr] += n
	b.show()
	return ""
}

// Give returns n bytes addr had taken.
func (b *Budget) Give(addr string, n int64) {
	if n == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.used -= n
	if b.byAddr[addr] -= n; b.byAddr[addr] <= 0 {
		delete(b.byAddr, addr)
	}
	b.show()
}

// Used is the number of bytes held now.
func (b *Budget) Used() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

func (b *Budget) show() {
	if b.gauge != nil {
		b.gauge.Set(float64(b.used))
	}
}
