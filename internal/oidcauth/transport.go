package oidcauth

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

const (
	// fetchTimeout bounds one fetch of the discovery document or the key
	// set. go-oidc refreshes keys in a background request that no caller's
	// context cancels, and while one refresh hangs every token with a new
	// key waits on it; with http.DefaultClient nothing else would end it.
	fetchTimeout = 10 * time.Second
	// maxDocumentBytes bounds what is read from the issuer. GitHub's
	// discovery document and key set are a few KB.
	maxDocumentBytes = 1 << 20
)

// fetchTransport carries every request go-oidc makes to the issuer. Besides
// bounding each one, it notes the key IDs of each key set fetched: go-oidc
// reports a token whose key ID is not published and one whose signature
// does not verify with the published key in the same words, and the two
// call for different fixes (a token from another issuer, versus a forged or
// altered one).
type fetchTransport struct {
	base http.RoundTripper // nil means http.DefaultTransport

	mu     sync.Mutex
	keyIDs map[string]bool // of the last key set fetched; nil before any
}

func (t *fetchTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	ctx, cancel := context.WithTimeout(req.Context(), fetchTimeout)
	defer cancel()
	resp, err := base.RoundTrip(req.WithContext(ctx))
	if err != nil {
		return nil, err
	}
	// The body is read here, not by the caller, so the timeout covers it
	// and the key IDs can be noted before go-oidc sees the keys.
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDocumentBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", req.URL.Redacted(), err)
	}
	if len(body) > maxDocumentBytes {
		return nil, fmt.Errorf("%s answered with more than %d bytes, which is no discovery document or key set", req.URL.Redacted(), maxDocumentBytes)
	}
	if resp.StatusCode == http.StatusOK {
		t.noteKeyIDs(body)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	return resp, nil
}

// noteKeyIDs records the key IDs of body if it is a key set. A key set is
// recognised by its "keys" member, which the discovery document lacks; this
// spares tracking which URL discovery named.
func (t *fetchTransport) noteKeyIDs(body []byte) {
	var set struct {
		Keys *[]struct {
			KeyID string `json:"kid"`
		} `json:"keys"`
	}
	if json.Unmarshal(body, &set) != nil || set.Keys == nil {
		return
	}
	ids := make(map[string]bool, len(*set.Keys))
	for _, k := range *set.Keys {
		ids[k.KeyID] = true
	}
	t.mu.Lock()
	t.keyIDs = ids
	t.mu.Unlock()
}

// published reports whether the last key set fetched has key id, and
// whether any was fetched at all.
func (t *fetchTransport) published(id string) (has, fetched bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.keyIDs[id], t.keyIDs != nil
}
