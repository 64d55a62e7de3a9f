package intake

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// FirstBuffer is the size of the first buffer a body gets (or its
// declared length, when smaller); the buffer doubles as bytes arrive.
const FirstBuffer = 32 << 10

// BusyError is a body refused because a memory limit was reached.
type BusyError struct{ Reason string }

func (e *BusyError) Error() string {
	return fmt.Sprintf("refused: intake limit %s reached", e.Reason)
}

// ErrTooSlow is a body that did not arrive within its deadline.
var ErrTooSlow = errors.New("the request body did not arrive in time")

// Reader reads request bodies within the limits.
type Reader struct {
	Limits Limits
	Budget *Budget
}

// Read reads r's body. Memory is reserved as bytes arrive, not as the
// client announces them, so a client that declares 25 MiB and sends one
// byte holds one small buffer; a reservation that does not fit is refused
// with a *BusyError rather than waited for. The body must arrive within
// Limits.BodyTimeout of its declared length, or Read returns ErrTooSlow
// (the connection's read deadline is set through w). A body longer than
// Limits.MaxBody is an *http.MaxBytesError.
func (rd *Reader) Read(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	limit := rd.Limits.MaxBody + 1 // one byte more tells a body too long
	if r.ContentLength >= 0 {
		if r.ContentLength > rd.Limits.MaxBody {
			return nil, &http.MaxBytesError{Limit: rd.Limits.MaxBody}
		}
		limit = r.ContentLength
	}
	// Not supported only where there is no connection (tests).
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(rd.Limits.BodyTimeout(r.ContentLength)))

	addr := Address(r.RemoteAddr)
	var held int64
	defer func() { rd.Budget.Give(addr, held) }()
	var buf []byte
	for {
		if len(buf) == cap(buf) {
			if int64(len(buf)) >= limit {
				if r.ContentLength >= 0 {
					return buf, nil
				}
				return nil, &http.MaxBytesError{Limit: rd.Limits.MaxBody}
			}
			grow := min(max(2*int64(cap(buf)), FirstBuffer), limit) - int64(cap(buf))
			if reason := rd.Budget.Take(addr, grow); reason != "" {
				return nil, &BusyError{Reason: reason}
			}
			held += grow
			next := make([]byte, len(buf), int64(cap(buf))+grow)
			copy(next, buf)
			buf = next
		}
		n, err := r.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		switch {
		case errors.Is(err, io.EOF):
			if r.ContentLength >= 0 && int64(len(buf)) < r.ContentLength {
				return nil, io.ErrUnexpectedEOF
			}
			return buf, nil
		case errors.Is(err, os.ErrDeadlineExceeded):
			return nil, ErrTooSlow
		case err != nil:
			return nil, err
		}
	}
}
