package oidcauth

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// expiryLeeway is how long after its exp a token is still accepted. go-oidc
// has no leeway for exp, and a server whose clock runs a little ahead of
// GitHub's would otherwise refuse tokens CI had only just requested. It is
// applied by handing go-oidc a clock this much behind ours. Side effect:
// go-oidc's own fixed 5 minute not-before tolerance shrinks by the same
// amount: see notBeforeSkew.
const expiryLeeway = time.Minute

// notBeforeSkew is how long before its nbf a token is accepted: go-oidc's
// fixed 5 minutes, less expiryLeeway because its clock is set back by that.
const notBeforeSkew = 5*time.Minute - expiryLeeway

// discoveryTimeout bounds a discovery attempt even when the request that
// triggered it has no deadline, so a hung issuer cannot hold the discovery
// slot that every other call waits on.
const discoveryTimeout = 15 * time.Second

// acceptedAlgs are the signature algorithms accepted. GitHub signs ID tokens
// with RS256 only; accepting more would only widen what a forger can try
// (HS256 with the public key as secret, "none").
var acceptedAlgs = []string{oidc.RS256}

// Verifier verifies tokens. It discovers the issuer lazily, on first use, and caches it
// (so a server starts even while the issuer is unreachable), retrying discovery on a later
// call if it failed; keys are cached and refetched when a token names an unknown key ID
// (go-oidc's remote key set does this). It is safe for concurrent use.
type Verifier struct {
	issuer   string
	audience string
	now      func() time.Time
	client   *http.Client
	fetch    *fetchTransport

	// ready holds the verifier built from discovery, once it succeeded.
	ready atomic.Pointer[oidc.IDTokenVerifier]
	// discovering is a one-slot semaphore: one discovery at a time, so a
	// burst of uploads while the issuer is down makes one request, not one
	// each. A channel, unlike a mutex, lets a waiter give up when its own
	// request is cancelled.
	discovering chan struct{}
}

// New validates cfg (issuer is an https URL, or http on loopback for tests;
// audience not empty). It does not contact the issuer.
func New(cfg Config) (*Verifier, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	base := cfg.HTTPClient
	if base == nil {
		base = http.DefaultClient
	}
	fetch := &fetchTransport{base: base.Transport}
	// A copy, so the caller's client (perhaps http.DefaultClient) keeps
	// its own transport; its Timeout, Jar and redirect policy still apply.
	client := *base
	client.Transport = fetch
	return &Verifier{
		issuer:      cfg.Issuer,
		audience:    cfg.Audience,
		now:         now,
		client:      &client,
		fetch:       fetch,
		discovering: make(chan struct{}, 1),
	}, nil
}

// Verify checks the token's signature against the issuer's keys, its issuer, audience,
// expiry (with a leeway of one minute, see expiryLeeway) and returns its claims.
// A token without repository or sha claims is rejected. Errors are *Error.
func (v *Verifier) Verify(ctx context.Context, raw string) (Claims, error) {
	c, e := v.verify(ctx, raw)
	if e != nil {
		return Claims{}, e.redacted(raw)
	}
	return c, nil
}

func (v *Verifier) verify(ctx context.Context, raw string) (Claims, *Error) {
	// Looking at the token first answers garbage and the wrong algorithm
	// without a network round trip, and gives the key ID that tells an
	// unknown key from a bad signature later.
	keyID, e := inspect(raw)
	if e != nil {
		return Claims{}, e
	}
	idv, e := v.discover(ctx)
	if e != nil {
		return Claims{}, e
	}
	tok, err := idv.Verify(ctx, raw)
	if err != nil {
		return Claims{}, v.classify(keyID, err)
	}
	return claimsOf(tok)
}

// discover returns the go-oidc verifier, running discovery if no earlier
// call has completed it. A failure is not remembered: the next call tries
// again, so the issuer coming back needs no restart.
func (v *Verifier) discover(ctx context.Context) (*oidc.IDTokenVerifier, *Error) {
	if idv := v.ready.Load(); idv != nil {
		return idv, nil
	}
	select {
	case v.discovering <- struct{}{}:
		defer func() { <-v.discovering }()
	case <-ctx.Done():
		return nil, reject(reasonUnreachable, fmt.Sprintf("gave up waiting for discovery of %s (%v); retry the upload", v.issuer, ctx.Err()))
	}
	// Whoever held the slot before us may have finished the job.
	if idv := v.ready.Load(); idv != nil {
		return idv, nil
	}
	dctx, cancel := context.WithTimeout(ctx, discoveryTimeout)
	defer cancel()
	// The client rides in the context: that is how go-oidc takes one, and
	// the provider keeps it for the key fetches that follow.
	provider, err := oidc.NewProvider(oidc.ClientContext(dctx, v.client), v.issuer)
	if err != nil {
		return nil, discoveryFailed(v.issuer, err)
	}
	idv := provider.Verifier(&oidc.Config{
		ClientID:             v.audience,
		SupportedSigningAlgs: acceptedAlgs,
		Now:                  func() time.Time { return v.now().Add(-expiryLeeway) },
	})
	v.ready.Store(idv)
	return idv, nil
}
