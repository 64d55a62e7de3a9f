package githubapp

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// A body too large to keep must still reach the caller whole: a page of 100
// pull requests is larger than the cache's per-entry limit.
func TestETagCachePassesLargeBodiesThroughWhole(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<12) // 64 KiB
	var conditional atomic.Int32                           // requests that arrived with If-None-Match
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") != "" {
			conditional.Add(1)
		}
		w.Header().Set("ETag", `W/"big"`)
		w.Write(big)
	}))
	defer srv.Close()
	store := newBodyStore(64 << 10) // keeps entries up to 8 KiB
	c := &etagCache{next: http.DefaultTransport, store: store, scope: "1"}
	for range 2 {
		req, _ := http.NewRequest("GET", srv.URL+"/repos/a/b/pulls", nil)
		resp, err := c.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || !bytes.Equal(got, big) {
			t.Fatalf("got %d bytes (%v), want all %d", len(got), err, len(big))
		}
		if conditional.Load() != 0 || store.lru.Len() != 0 {
			t.Fatal("a body over the limit was kept")
		}
	}
}
