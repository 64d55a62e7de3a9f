//go:build unix

package app_test

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/intake"
	"github.com/mergeguard/mergeguard/internal/testsupport/fakegithub"
	"github.com/mergeguard/mergeguard/internal/testsupport/wait"
)

// metric reads one series' value from /metrics (0 when absent).
func (h *harness) metric(series string) float64 {
	h.t.Helper()
	_, body := h.get("/metrics")
	for _, l := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(l, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				h.t.Fatalf("%s: %v", l, err)
			}
			return f
		}
	}
	return 0
}

// TestSlowClientsDoNotStallIntake reproduces an attack on the webhook:
// connections that send a well-formed but wrong signature, announce a
// 25 MiB body, send one byte and fall silent. Fifty of them used to hold
// the shared body budget, so a correctly signed delivery waited for their
// read timeout (a minute; GitHub gives up after 10 seconds). The signed
// delivery must now be answered while all fifty are still open and
// silent, each holding only what it sent, with the server's default
// limits.
func TestSlowClientsDoNotStallIntake(t *testing.T) {
	gh := fakegithub.New(t)
	pr := newPR(gh)
	h := start(t, gh, config{})
	if code, _ := h.get("/healthz"); code != 200 {
		t.Fatalf("healthz %d", code)
	}
	addr := strings.TrimPrefix(h.base, "http://")

	const attackers = 50
	var slow []net.Conn
	for i := 0; i < attackers; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "POST /webhook HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nX-GitHub-Event: pull_request\r\n"+
			"X-GitHub-Delivery: slow-%d\r\nX-Hub-Signature-256: sha256=%s\r\nContent-Length: 26214400\r\n\r\n{", addr, i, strings.Repeat("0", 64))
		slow = append(slow, c)
	}
	// Every slow body is being read, and holds one first buffer.
	wait.Until(t, 10*time.Second, "the slow bodies to be read", func() bool {
		return h.metric("mergeguard_intake_body_bytes") == attackers*intake.FirstBuffer
	})

	if code := h.deliver("pull_request", "", gh.Payload("pull_request", "opened", pr, nil)); code != 202 {
		t.Fatalf("the signed delivery was answered %d, want 202", code)
	}
	// Answered while every slow connection is still open, unanswered.
	for i, c := range slow {
		if open, err := waiting(c); !open {
			t.Fatalf("slow connection %d was answered or closed before the signed delivery (%v)", i, err)
		}
	}
	if held := h.metric("mergeguard_intake_body_bytes"); held != attackers*intake.FirstBuffer {
		t.Fatalf("the slow bodies hold %v bytes once the delivery is answered, want %d", held, attackers*intake.FirstBuffer)
	}
	waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("failure"))
}

// waiting reports whether c is open with nothing to read: the server has
// neither answered nor closed it. It looks without waiting.
func waiting(c net.Conn) (bool, error) {
	raw, err := c.(*net.TCPConn).SyscallConn()
	if err != nil {
		return false, err
	}
	var rerr error
	err = raw.Read(func(fd uintptr) bool {
		_, _, rerr = syscall.Recvfrom(int(fd), make([]byte, 1), syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		return true
	})
	if err != nil {
		return false, err
	}
	if errors.Is(rerr, syscall.EAGAIN) || errors.Is(rerr, syscall.EWOULDBLOCK) {
		return true, nil
	}
	return false, rerr // nil: answered, or closed
}
