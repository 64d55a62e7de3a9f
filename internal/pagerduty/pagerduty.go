// Package pagerduty turns PagerDuty V3 webhooks into incident freezes: an
// incident triggered on a mapped service, urgent enough, freezes merges in
// the service's repositories (or the whole organization), and resolving it
// ends that freeze. The package is pure: it verifies a delivery's signature,
// reads the event and decides what the caller should do; the caller stores
// the freeze, records it in the audit trail and answers PagerDuty.
package pagerduty

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/mergeguard/mergeguard/internal/text"
)

// SignatureHeader is the header PagerDuty signs each delivery in.
const SignatureHeader = "X-PagerDuty-Signature"

// MaxBody bounds the body the receiver reads: an incident event is a few
// kilobytes.
const MaxBody = 1 << 20

// Verification errors; the receiver answers 401 to both, with the message.
var (
	ErrMissingSignature = errors.New("no v1 signature in the " + SignatureHeader + " header")
	ErrBadSignature     = errors.New("no signature in the " + SignatureHeader + " header matches a configured secret")
)

// Verify checks that body was signed with one of the secrets. The header
// carries one or more comma-separated signatures ("v1=<hex>,v1=<hex>"), so
// that PagerDuty can rotate a subscription's secret without downtime; more
// than one secret may be configured, so that mergeguard's configuration can
// change before or after PagerDuty's. Signatures of other versions are
// ignored. Every comparison runs in constant time.
func Verify(body []byte, header string, secrets [][]byte) error {
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		v, ok := strings.CutPrefix(strings.TrimSpace(part), "v1=")
		if !ok {
			continue
		}
		sig, err := hex.DecodeString(v)
		if err != nil || len(sig) != sha256.Size {
			continue // a malformed signature matches nothing
		}
		sigs = append(sigs, sig)
	}
	if len(sigs) == 0 {
		return ErrMissingSignature
	}
	matched := false
	for _, secret := range secrets {
		if len(secret) == 0 {
			continue
		}
		mac := hmac.New(sha256.New, secret)
		mac.Write(body)
		want := mac.Sum(nil)
		for _, sig := range sigs {
			// No early return: the time taken does not tell which secret
			// or signature matched.
			if hmac.Equal(sig, want) {
				matched = true
			}
		}
	}
	if !matched {
		return ErrBadSignature
	}
	return nil
}

// Sign computes the header value PagerDuty would send for body with these
// secrets, one v1 signature each; the fake PagerDuty in tests uses it.
func Sign(body []byte, secrets ...[]byte) string {
	var parts []string
	for _, s := range secrets {
		mac := hmac.New(sha256.New, s)
		mac.Write(body)
		parts = append(parts, "v1="+hex.EncodeToString(mac.Sum(nil)))
	}
	return strings.Join(parts, ",")
}

// Event types the receiver acts on.
const (
	IncidentTriggered       = "incident.triggered"
	IncidentReopened        = "incident.reopened"
	IncidentPriorityUpdated = "incident.priority_updated"
	IncidentResolved        = "incident.resolved"
)

// Event is a V3 webhook delivery's event.
type Event struct {
	// ID is unique per event: a delivery PagerDuty retries, or someone
	// replays, carries the same ID, which the caller records to answer a
	// replay without acting twice.
	ID         string
	Type       string
	OccurredAt time.Time
	// Incident is set for incident events.
	Incident *Incident
}

// Incident is what an incident event says about the incident.
type Incident struct {
	ID          string
	Number      int
	Title       string
	HTMLURL     string
	Status      string
	Urgency     string
	Priority    string // the priority's name (summary), "" when none is set
	ServiceID   string
	ServiceName string
}

// wire mirrors the documented payload: {"event": {id, event_type,
// resource_type, occurred_at, agent, client, data}}, data being an
// incident for the incident.* events used here.
type wire struct {
	Event *struct {
		ID           string          `json:"id"`
		EventType    string          `json:"event_type"`
		ResourceType string          `json:"resource_type"`
		OccurredAt   string          `json:"occurred_at"`
		Data         json.RawMessage `json:"data"`
	} `json:"event"`
}

type wireIncident struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Number   int    `json:"number"`
	Title    string `json:"title"`
	HTMLURL  string `json:"html_url"`
	Status   string `json:"status"`
	Urgency  string `json:"urgency"`
	Priority *struct {
		Summary string `json:"summary"`
	} `json:"priority"`
	Service *struct {
		ID      string `json:"id"`
		Summary string `json:"summary"`
	} `json:"service"`
}

// Limits on what is kept from a payload: these strings end up in freeze
// reasons, check runs and the audit trail.
const (
	maxIDLength    = 200
	maxTitleLength = 300
)

// Parse reads a V3 webhook body. Events that start or end no freeze parse
// with a nil Incident; a body that is not a V3 event, or a triggered,
// reopened, priority-updated or resolved event without an incident, is an
// error that says what is missing.
func Parse(body []byte) (Event, error) {
	if len(body) > MaxBody {
		return Event{}, fmt.Errorf("pagerduty: body of %d bytes exceeds %d", len(body), MaxBody)
	}
	var w wire
	d := json.NewDecoder(bytes.NewReader(body))
	if err := d.Decode(&w); err != nil {
		return Event{}, fmt.Errorf("pagerduty: body is not JSON: %w", err)
	}
	if w.Event == nil {
		return Event{}, errors.New("pagerduty: body has no event object (is the subscription a V3 webhook?)")
	}
	e := Event{ID: w.Event.ID, Type: w.Event.EventType}
	if e.ID == "" || len(e.ID) > maxIDLength {
		return Event{}, fmt.Errorf("pagerduty: event.id must be 1 to %d bytes, got %d", maxIDLength, len(e.ID))
	}
	if e.Type == "" || len(e.Type) > maxIDLength {
		return Event{}, errors.New("pagerduty: event.event_type is missing")
	}
	if w.Event.OccurredAt != "" {
		t, err := time.Parse(time.RFC3339Nano, w.Event.OccurredAt)
		if err != nil {
			return Event{}, fmt.Errorf("pagerduty: event.occurred_at %q is not an ISO 8601 time: %w", text.Clip(w.Event.OccurredAt, 40), err)
		}
		e.OccurredAt = t
	}
	if !acts(e.Type) {
		// Other events (notes, responders, services, types PagerDuty adds
		// later) change no freeze; their data is not read, so a new shape
		// is no error that would make PagerDuty retry.
		return e, nil
	}
	var wi wireIncident
	if len(w.Event.Data) == 0 || string(w.Event.Data) == "null" {
		return Event{}, fmt.Errorf("pagerduty: %s event %s has no data", e.Type, e.ID)
	}
	if err := json.Unmarshal(w.Event.Data, &wi); err != nil {
		return Event{}, fmt.Errorf("pagerduty: %s event %s: data is not an incident: %w", e.Type, e.ID, err)
	}
	if wi.Type != "incident" || wi.ID == "" || len(wi.ID) > maxIDLength {
		return Event{}, fmt.Errorf("pagerduty: %s event %s: data is not an incident with an id", e.Type, e.ID)
	}
	inc := &Incident{
		ID: wi.ID, Number: wi.Number, Title: text.Clip(wi.Title, maxTitleLength),
		HTMLURL: text.Clip(wi.HTMLURL, maxTitleLength), Status: wi.Status, Urgency: wi.Urgency,
	}
	if wi.Priority != nil {
		inc.Priority = text.Clip(wi.Priority.Summary, maxIDLength)
	}
	if wi.Service != nil {
		inc.ServiceID = text.Clip(wi.Service.ID, maxIDLength)
		inc.ServiceName = text.Clip(wi.Service.Summary, maxIDLength)
	}
	e.Incident = inc
	return e, nil
}

// acts reports whether events of the type start or end freezes; only
// their data is read.
func acts(eventType string) bool {
	switch eventType {
	case IncidentTriggered, IncidentReopened, IncidentPriorityUpdated, IncidentResolved:
		return true
	}
	return false
}

// RawConfig is the receiver's configuration as written.
type RawConfig struct {
	// Secrets are the subscriptions' signing secrets; several during a
	// rotation.
	Secrets []string `json:"secrets" yaml:"secrets"`
	// Services maps a PagerDuty service ID to what its incidents freeze.
	Services map[string]RawService `json:"services" yaml:"services"`
	// Urgencies and Priorities: an incident freezes when its urgency is
	// in Urgencies or its priority's name in Priorities. Priorities are
	// named per account (P1, SEV-1…), so the list is explicit.
	Urgencies  []string `json:"urgencies" yaml:"urgencies"`
	Priorities []string `json:"priorities" yaml:"priorities"`
}

// RawService is what one service's incidents freeze: named repositories, or
// the whole organization.
type RawService struct {
	Repositories []string `json:"repositories" yaml:"repositories"`
	OrgWide      bool     `json:"org_wide" yaml:"org_wide"`
}

// Config is a validated configuration; only Validate makes one.
type Config struct {
	secrets    [][]byte
	services   map[string]RawService
	urgencies  []string
	priorities []string
}

// minSecretLength refuses secrets short enough to guess; PagerDuty's are
// far longer.
const minSecretLength = 16

var repoName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,100}$`)

// Validate checks the configuration once, at start-up.
func (r RawConfig) Validate() (Config, error) {
	c := Config{services: map[string]RawService{}}
	if len(r.Secrets) == 0 {
		return Config{}, errors.New("pagerduty: no signing secret configured; copy it from the webhook subscription")
	}
	for i, s := range r.Secrets {
		if len(s) < minSecretLength {
			return Config{}, fmt.Errorf("pagerduty: signing secret %d is shorter than %d characters", i+1, minSecretLength)
		}
		c.secrets = append(c.secrets, []byte(s))
	}
	if len(r.Services) == 0 {
		return Config{}, errors.New("pagerduty: no services configured, so no incident would freeze anything")
	}
	for id, s := range r.Services {
		if strings.TrimSpace(id) == "" {
			return Config{}, errors.New("pagerduty: a service has an empty ID")
		}
		if s.OrgWide == (len(s.Repositories) > 0) {
			return Config{}, fmt.Errorf("pagerduty: service %s: give either repositories or org_wide: true", id)
		}
		for _, repo := range s.Repositories {
			if !repoName.MatchString(repo) {
				return Config{}, fmt.Errorf("pagerduty: service %s: %q is not a repository name (the name alone, without the owner)", id, repo)
			}
		}
		c.services[id] = RawService{Repositories: slices.Clone(s.Repositories), OrgWide: s.OrgWide}
	}
	if len(r.Urgencies)+len(r.Priorities) == 0 {
		return Config{}, errors.New("pagerduty: neither urgencies nor priorities configured, so no incident would freeze anything; e.g. urgencies: [high]")
	}
	for _, u := range r.Urgencies {
		if u != "high" && u != "low" {
			return Config{}, fmt.Errorf("pagerduty: urgency %q: PagerDuty's urgencies are high and low", u)
		}
		c.urgencies = append(c.urgencies, u)
	}
	for _, p := range r.Priorities {
		if strings.TrimSpace(p) == "" {
			return Config{}, errors.New("pagerduty: an empty priority name")
		}
		c.priorities = append(c.priorities, p)
	}
	return c, nil
}

// Secrets returns the signing secrets, for Verify.
func (c Config) Secrets() [][]byte { return c.secrets }

// Action is what an event asks of the freezes.
type Action int

const (
	// Start starts the incident's freeze (or keeps it: the caller keys
	// freezes on the incident, so a second start changes nothing).
	Start Action = iota + 1
	// End ends the incident's freeze, if there is one.
	End
)

func (a Action) String() string {
	switch a {
	case Start:
		return "start"
	case End:
		return "end"
	}
	return fmt.Sprintf("Action(%d)", int(a))
}

// Intent is a freeze to start or end.
type Intent struct {
	Action Action
	// EventID identifies the delivery, for replays.
	EventID string
	// IncidentID is the freeze's idempotency key: one freeze per incident,
	// which its resolution ends.
	IncidentID string
	// At is when the event occurred in PagerDuty.
	At time.Time
	// Repositories are the frozen repositories' names; empty with OrgWide.
	Repositories []string
	OrgWide      bool
	// Reason is shown in the check runs and recorded in the audit trail.
	Reason string
	// URL links to the incident.
	URL string
}

// Decision is what the caller does with an event: act on Intent, or, when
// it is nil, change nothing and answer with Reason.
type Decision struct {
	Intent *Intent
	Reason string
}

// Decide maps an event to a freeze. Triggering (or reopening, or raising the
// priority of) an incident on a mapped service whose urgency or priority is
// listed starts a freeze; resolving an incident ends its freeze whatever the
// service and the urgency, so that a configuration changed during an
// incident cannot leave a freeze behind.
func (c Config) Decide(e Event) Decision {
	if e.Incident == nil {
		return Decision{Reason: fmt.Sprintf("%s events do not start or end freezes", e.Type)}
	}
	inc := e.Incident
	switch e.Type {
	case IncidentResolved:
		return Decision{Intent: &Intent{Action: End, EventID: e.ID, IncidentID: inc.ID, At: e.OccurredAt,
			Reason: c.reason(inc), URL: inc.HTMLURL}}
	case IncidentTriggered, IncidentReopened, IncidentPriorityUpdated:
	default:
		return Decision{Reason: fmt.Sprintf("%s events do not start or end freezes", e.Type)}
	}
	if inc.ServiceID == "" {
		return Decision{Reason: fmt.Sprintf("incident %s names no service, so what it freezes cannot be told", inc.ID)}
	}
	svc, ok := c.services[inc.ServiceID]
	if !ok {
		return Decision{Reason: fmt.Sprintf("PagerDuty service %s (%s) is not mapped to repositories in the pagerduty configuration; incident %s freezes nothing", inc.ServiceID, inc.ServiceName, inc.ID)}
	}
	if !slices.Contains(c.urgencies, inc.Urgency) && (inc.Priority == "" || !slices.Contains(c.priorities, inc.Priority)) {
		return Decision{Reason: fmt.Sprintf("incident %s has urgency %q and priority %q; only urgencies %v or priorities %v freeze merges", inc.ID, inc.Urgency, inc.Priority, c.urgencies, c.priorities)}
	}
	return Decision{Intent: &Intent{Action: Start, EventID: e.ID, IncidentID: inc.ID, At: e.OccurredAt,
		Repositories: slices.Clone(svc.Repositories), OrgWide: svc.OrgWide, Reason: c.reason(inc), URL: inc.HTMLURL}}
}

// reason reads as "PagerDuty incident #2 (P1, high urgency): A little bump
// in the road".
func (c Config) reason(inc *Incident) string {
	var tags []string
	if inc.Priority != "" {
		tags = append(tags, inc.Priority)
	}
	if inc.Urgency != "" {
		tags = append(tags, inc.Urgency+" urgency")
	}
	what := "PagerDuty incident " + inc.ID
	if inc.Number > 0 {
		what = fmt.Sprintf("PagerDuty incident #%d", inc.Number)
	}
	if len(tags) > 0 {
		what += " (" + strings.Join(tags, ", ") + ")"
	}
	if inc.Title != "" {
		what += ": " + inc.Title
	}
	return what
}
