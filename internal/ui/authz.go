package ui

import (
	"context"
	"strings"
	"sync"
	"time"
)

// CachedAuthorizer remembers another Authorizer's answers for a short
// time, so a page of a hundred rows asks GitHub once per repository, not
// once per row. Errors are not remembered.
type CachedAuthorizer struct {
	next Authorizer
	ttl  time.Duration
	now  func() time.Time

	mu      sync.Mutex
	answers map[string]cachedAnswer
}

type cachedAnswer struct {
	ok      bool
	expires time.Time
}

// maxCachedAnswers bounds the cache; when full, expired answers are
// dropped, and if none are, everything is.
const maxCachedAnswers = 10000

// NewCachedAuthorizer wraps next, remembering answers for ttl.
func NewCachedAuthorizer(next Authorizer, ttl time.Duration, now func() time.Time) *CachedAuthorizer {
	return &CachedAuthorizer{next: next, ttl: ttl, now: now, answers: map[string]cachedAnswer{}}
}

// IsMember implements Authorizer.
func (c *CachedAuthorizer) IsMember(ctx context.Context, org, login string) (bool, error) {
	return c.ask("member\x00"+org+"\x00"+login, func() (bool, error) { return c.next.IsMember(ctx, org, login) })
}

// CanRead implements Authorizer.
func (c *CachedAuthorizer) CanRead(ctx context.Context, repo, login string) (bool, error) {
	return c.ask("read\x00"+repo+"\x00"+login, func() (bool, error) { return c.next.CanRead(ctx, repo, login) })
}

func (c *CachedAuthorizer) ask(key string, fn func() (bool, error)) (bool, error) {
	// GitHub's names are case-insensitive.
	key = strings.ToLower(key)
	now := c.now()
	c.mu.Lock()
	a, ok := c.answers[key]
	c.mu.Unlock()
	if ok && now.Before(a.expires) {
		return a.ok, nil
	}
	allowed, err := fn()
	if err != nil {
		return false, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.answers) >= maxCachedAnswers {
		for k, a := range c.answers {
			if !now.Before(a.expires) {
				delete(c.answers, k)
			}
		}
		if len(c.answers) >= maxCachedAnswers {
			clear(c.answers)
		}
	}
	c.answers[key] = cachedAnswer{ok: allowed, expires: now.Add(c.ttl)}
	return allowed, nil
}
