package fakegithub

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The App's webhook, as GitHub runs it: the fake sends deliveries to the
// server under test, keeps a log of every attempt with the answer it got,
// serves that log (GET /app/hook/deliveries, newest first, by cursor), and
// redelivers an attempt on request (POST .../attempts) with the same
// X-GitHub-Delivery, signed with the secret configured now. Like GitHub, it
// never retries a failed delivery by itself.

// HookAttempt is one attempt in the webhook's delivery log.
type HookAttempt struct {
	ID int64
	// GUID is the X-GitHub-Delivery header, shared by the redeliveries of
	// one delivery.
	GUID          string
	Event, Action string
	DeliveredAt   time.Time
	Redelivery    bool
	// StatusCode is the webhook's answer; 502 when it could not be
	// reached, 504 when it did not answer in time (Status says which).
	StatusCode                   int
	Status                       string
	Duration                     time.Duration
	InstallationID, RepositoryID int64
	// Payload is what was sent; a redelivery sends it again.
	Payload []byte
}

// hookTimeout is how long GitHub waits for a webhook's answer.
const hookTimeout = 10 * time.Second

type hookLog struct {
	mu       sync.Mutex
	url      string
	secret   string
	attempts []*HookAttempt
	nextID   int64
	// sending counts redeliveries in flight; once closed (the test is
	// ending) none start.
	sending sync.WaitGroup
	closed  bool
	cleanup sync.Once
}

// SetWebhook points the App's webhook at url, signed with secret, as the
// App's settings do. Redeliveries already asked for go to the new URL.
func (s *Server) SetWebhook(url, secret string) {
	s.hooks.mu.Lock()
	s.hooks.url, s.hooks.secret = url, secret
	s.hooks.mu.Unlock()
	// Redeliveries are sent in the background, as on GitHub; the test
	// waits for those in flight before the server under test goes away.
	s.hooks.cleanup.Do(func() {
		s.t.Cleanup(func() {
			s.hooks.mu.Lock()
			s.hooks.closed = true
			s.hooks.mu.Unlock()
			s.hooks.sending.Wait()
		})
	})
}

// Deliver sends payload to the App's webhook as a new delivery of event,
// logs the attempt and returns it. A failure is logged, not retried.
func (s *Server) Deliver(event string, payload []byte) HookAttempt {
	s.t.Helper()
	s.hooks.mu.Lock()
	url, secret := s.hooks.url, s.hooks.secret
	s.hooks.mu.Unlock()
	if url == "" {
		s.t.Fatal("fake GitHub: Deliver before SetWebhook: the App has no webhook URL")
	}
	return s.sendHook(url, secret, event, newGUID(), payload, false)
}

// LogHookAttempt adds an attempt to the delivery log without sending
// anything: a history the test needs, such as a delivery mergeguard handled
// but whose answer GitHub never saw. A zero ID or DeliveredAt is filled in.
func (s *Server) LogHookAttempt(a HookAttempt) HookAttempt {
	if a.DeliveredAt.IsZero() {
		a.DeliveredAt = s.now()
	}
	if a.Status == "" {
		a.Status = statusText(a.StatusCode)
	}
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	return s.hooks.add(a)
}

// HookAttempts returns the delivery log, oldest first.
func (s *Server) HookAttempts() []HookAttempt {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	out := make([]HookAttempt, len(s.hooks.attempts))
	for i, a := range s.hooks.attempts {
		out[i] = *a
	}
	return out
}

func (l *hookLog) add(a HookAttempt) HookAttempt {
	if a.ID == 0 {
		l.nextID++
		a.ID = 12_000_000_000 + l.nextID
	}
	a.Payload = bytes.Clone(a.Payload)
	l.attempts = append(l.attempts, &a)
	return a
}

func (l *hookLog) find(id int64) *HookAttempt {
	for _, a := range l.attempts {
		if a.ID == id {
			return a
		}
	}
	return nil
}

// sendHook makes one attempt and logs it; with no URL, the attempt fails
// to connect.
func (s *Server) sendHook(url, secret, event, guid string, payload []byte, redelivery bool) HookAttempt {
	a := HookAttempt{GUID: guid, Event: event, Redelivery: redelivery, DeliveredAt: s.now(), Payload: payload}
	var about struct {
		Action       *string `json:"action"`
		Installation struct {
			ID int64 `json:"id"`
		} `json:"installation"`
		Repository struct {
			ID int64 `json:"id"`
		} `json:"repository"`
	}
	_ = json.Unmarshal(payload, &about)
	if about.Action != nil {
		a.Action = *about.Action
	}
	a.InstallationID, a.RepositoryID = about.Installation.ID, about.Repository.ID

	start := time.Now()
	a.StatusCode, a.Status = 502, "failed to connect to host"
	if url != "" {
		req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(payload))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("User-Agent", "GitHub-Hookshot/fake")
			req.Header.Set("X-GitHub-Event", event)
			req.Header.Set("X-GitHub-Delivery", guid)
			req.Header.Set("X-GitHub-Hook-Installation-Target-Type", "integration")
			req.Header.Set("X-GitHub-Hook-Installation-Target-ID", strconv.FormatInt(s.appID, 10))
			req.Header.Set("X-Hub-Signature-256", Sign(secret, payload))
			resp, err := (&http.Client{Timeout: hookTimeout}).Do(req)
			var ne net.Error
			switch {
			case errors.As(err, &ne) && ne.Timeout():
				a.StatusCode, a.Status = 504, "timed out"
			case err == nil:
				_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
				resp.Body.Close()
				a.StatusCode, a.Status = resp.StatusCode, statusText(resp.StatusCode)
			}
		}
	}
	a.Duration = time.Since(start)
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	return s.hooks.add(a)
}

func statusText(code int) string {
	if code >= 200 && code < 300 {
		return "OK"
	}
	return fmt.Sprintf("Invalid HTTP Response: %d", code)
}

// listHookDeliveries implements GET /app/hook/deliveries: newest first,
// per_page (at most 100) at a time, the next page named by a cursor in the
// Link header; status=success|failure filters by status code.
func (s *Server) listHookDeliveries(w *responder, r *http.Request) (int, any) {
	q := r.URL.Query()
	perPage := 30
	if v := q.Get("per_page"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 {
			return 422, errorBody("Invalid per_page")
		}
		perPage = min(p, 100)
	}
	from := int64(-1)
	if v := q.Get("cursor"); v != "" {
		id, err := strconv.ParseInt(strings.TrimPrefix(v, "v1_"), 10, 64)
		if !strings.HasPrefix(v, "v1_") || err != nil {
			return 400, errorBody("Invalid cursor")
		}
		from = id
	}
	status := q.Get("status")
	if status != "" && status != "success" && status != "failure" {
		return 422, errorBody("Invalid status: must be success or failure")
	}

	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	var page []map[string]any
	for i := len(s.hooks.attempts) - 1; i >= 0; i-- {
		a := s.hooks.attempts[i]
		c := a.StatusCode
		switch {
		case from >= 0 && a.ID > from:
			continue
		case status == "success" && (c < 200 || c > 399), status == "failure" && (c < 400 || c > 599):
			continue
		}
		if len(page) == perPage {
			u := *r.URL
			u.Scheme, u.Host = "http", r.Host
			v := u.Query()
			v.Set("cursor", fmt.Sprintf("v1_%d", a.ID))
			v.Set("per_page", strconv.Itoa(perPage))
			u.RawQuery = v.Encode()
			w.link = fmt.Sprintf(`<%s>; rel="next"`, u.String())
			break
		}
		page = append(page, hookAttemptJSON(a))
	}
	if page == nil {
		page = []map[string]any{}
	}
	return 200, page
}

// redeliverHookDelivery implements POST
// /app/hook/deliveries/{delivery_id}/attempts: 202 at once, the attempt
// sent again shortly after.
func (s *Server) redeliverHookDelivery(_ *responder, r *http.Request) (int, any) {
	id, err := strconv.ParseInt(r.PathValue("delivery_id"), 10, 64)
	s.hooks.mu.Lock()
	var a *HookAttempt
	if err == nil {
		a = s.hooks.find(id)
	}
	if a == nil {
		s.hooks.mu.Unlock()
		return 404, errorBody("Not Found")
	}
	event, guid, payload, url, secret := a.Event, a.GUID, a.Payload, s.hooks.url, s.hooks.secret
	background := url != "" && !s.hooks.closed
	if background {
		s.hooks.sending.Add(1)
	}
	s.hooks.mu.Unlock()
	if !background {
		// No webhook to send to (or the test is ending): it fails at once.
		s.sendHook("", "", event, guid, payload, true)
		return 202, map[string]any{}
	}
	go func() {
		defer s.hooks.sending.Done()
		s.sendHook(url, secret, event, guid, payload, true)
	}()
	return 202, map[string]any{}
}

func hookAttemptJSON(a *HookAttempt) map[string]any {
	var action, installation, repository any
	if a.Action != "" {
		action = a.Action
	}
	if a.InstallationID != 0 {
		installation = a.InstallationID
	}
	if a.RepositoryID != 0 {
		repository = a.RepositoryID
	}
	return map[string]any{
		"id": a.ID, "guid": a.GUID, "delivered_at": ts(a.DeliveredAt), "redelivery": a.Redelivery,
		"duration": a.Duration.Seconds(), "status": a.Status, "status_code": a.StatusCode,
		"event": a.Event, "action": action, "installation_id": installation, "repository_id": repository,
		"throttled_at": nil,
	}
}

// newGUID makes an X-GitHub-Delivery: GitHub's are UUIDs.
func newGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
