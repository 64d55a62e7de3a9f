// Package logbuf is a buffer that several goroutines may write to, for tests
// that capture a server's logs while it runs.
package logbuf

import (
	"bytes"
	"strings"
	"sync"
)

// Buffer is safe for concurrent use.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *Buffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *Buffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Contains reports whether the text written so far contains s.
func (l *Buffer) Contains(s string) bool { return strings.Contains(l.String(), s) }
