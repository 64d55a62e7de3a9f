package githubapp

import (
	"bytes"
	"io"
	"net/http"
	"sync"

	lru "github.com/hashicorp/golang-lru/v2"
)

// etagCache makes GET requests conditional: a response with an ETag is kept,
// and the next GET of the same URL asks "If-None-Match". GitHub answers an
// unchanged resource with 304, which does not count against the rate limit,
// and the kept body is returned.
//
// Unlike an RFC 9111 HTTP cache, it never serves a kept response without
// asking GitHub first. GitHub marks responses fresh for 60 seconds, and a
// merge gate that reused a minute-old pull request would judge the wrong
// head commit.
type etagCache struct {
	next  http.RoundTripper
	store *bodyStore
	// scope keeps one installation's entries apart from another's.
	scope string
}

type cachedResponse struct {
	etag   string
	header http.Header
	body   []byte
}

func (c *etagCache) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet || req.Header.Get("Range") != "" {
		return c.next.RoundTrip(req)
	}
	key := c.scope + " " + req.Header.Get("Accept") + " " + req.URL.String()
	cached, ok := c.store.get(key)
	r := req
	if ok {
		r = req.Clone(req.Context())
		r.Header.Set("If-None-Match", cached.etag)
	}
	resp, err := c.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	switch {
	case resp.StatusCode == http.StatusNotModified && ok:
		resp.Body.Close()
		h := cached.header.Clone()
		// Rate-limit and date headers are about this request, not the kept one.
		for k, v := range resp.Header {
			h[k] = v
		}
		h.Set("X-Mergeguard-Cache", "revalidated")
		return &http.Response{
			Status: "200 OK", StatusCode: http.StatusOK,
			Proto: resp.Proto, ProtoMajor: resp.ProtoMajor, ProtoMinor: resp.ProtoMinor,
			Header: h, Body: io.NopCloser(bytes.NewReader(cached.body)),
			ContentLength: int64(len(cached.body)), Request: req,
		}, nil
	case resp.StatusCode == http.StatusOK && resp.Header.Get("ETag") != "":
		body, err := io.ReadAll(io.LimitReader(resp.Body, c.store.maxEntry+1))
		if err != nil {
			resp.Body.Close()
			return nil, err
		}
		if int64(len(body)) > c.store.maxEntry {
			// Too large to keep (a page of 100 pull requests can be): the
			// caller still gets all of it, the part read and the rest.
			c.store.remove(key)
			resp.Body = struct {
				io.Reader
				io.Closer
			}{io.MultiReader(bytes.NewReader(body), resp.Body), resp.Body}
			return resp, nil
		}
		resp.Body.Close()
		c.store.put(key, cachedResponse{etag: resp.Header.Get("ETag"), header: resp.Header.Clone(), body: body})
		resp.Body = io.NopCloser(bytes.NewReader(body))
		return resp, nil
	default:
		if ok && resp.StatusCode >= 400 {
			c.store.remove(key)
		}
		return resp, nil
	}
}

// bodyStore is an LRU of kept responses bounded by total body bytes, shared
// by all installations.
type bodyStore struct {
	mu       sync.Mutex
	lru      *lru.Cache[string, cachedResponse]
	bytes    int64
	maxBytes int64
	maxEntry int64
}

func newBodyStore(maxBytes int64) *bodyStore {
	s := &bodyStore{maxBytes: maxBytes, maxEntry: min(maxBytes/8, 1<<20)}
	// The entry count is a backstop; the byte budget is what binds.
	s.lru, _ = lru.NewWithEvict(100_000, func(_ string, v cachedResponse) {
		s.bytes -= int64(len(v.body))
	})
	return s
}

func (s *bodyStore) get(key string) (cachedResponse, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lru.Get(key)
}

func (s *bodyStore) put(key string, v cachedResponse) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lru.Remove(key)
	s.lru.Add(key, v)
	s.bytes += int64(len(v.body))
	for s.bytes > s.maxBytes && s.lru.Len() > 0 {
		s.lru.RemoveOldest()
	}
}

func (s *bodyStore) remove(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lru.Remove(key)
}
