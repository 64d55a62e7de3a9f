package oidcauth

import (
	"strings"
	"unicode/utf8"
)

// The reasons a token is rejected. They are part of the 401 answer CI sees,
// so they are stable words rather than Go identifiers.
const (
	reasonMalformed    = "malformed"
	reasonExpired      = "expired"
	reasonNotYetValid  = "not yet valid"
	reasonWrongIssuer  = "wrong issuer"
	reasonWrongAud     = "wrong audience"
	reasonBadSignature = "bad signature"
	reasonUnknownKey   = "unknown key"
	reasonMissing      = "missing claims"
	reasonUnreachable  = "issuer unreachable"
)

// Error says why a token was rejected, for the 401 answer: Reason is one of
// "malformed", "expired", "not yet valid", "wrong issuer", "wrong audience", "bad signature",
// "unknown key", "missing claims", "issuer unreachable"; Detail explains.
type Error struct {
	Reason, Detail string
}

func (e *Error) Error() string {
	return e.Reason + ": " + e.Detail
}

// Temporary reports whether retrying later may succeed (issuer unreachable).
func (e *Error) Temporary() bool {
	return e != nil && e.Reason == reasonUnreachable
}

func reject(reason, detail string) *Error {
	return &Error{Reason: reason, Detail: detail}
}

// maxDetail bounds Detail: it ends with the library's own words, which
// can quote an issuer's error page, and a 401 body should stay readable.
const maxDetail = 600

// redacted returns e with every trace of raw removed from Detail. No message
// built here quotes the token, but some quote the libraries' errors, and
// this is the one place that guarantees a credential never reaches a
// response body or a log line whatever those say.
func (e *Error) redacted(raw string) *Error {
	d := e.Detail
	if raw != "" {
		d = strings.ReplaceAll(d, raw, "[token]")
		for _, part := range strings.Split(raw, ".") {
			// Short parts could match ordinary words; a signature or
			// payload segment is far longer than this.
			if len(part) >= 16 {
				d = strings.ReplaceAll(d, part, "[token]")
			}
		}
	}
	// An issuer's error page can span lines; a detail is one line, for a
	// log entry and a CI log alike.
	d = strings.Join(strings.Fields(d), " ")
	if len(d) > maxDetail {
		d = d[:maxDetail]
		for !utf8.ValidString(d) {
			d = d[:len(d)-1]
		}
		d += "…"
	}
	return &Error{Reason: e.Reason, Detail: d}
}
