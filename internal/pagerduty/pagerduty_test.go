package pagerduty

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// incidentBody is a V3 delivery in the documented shape, with an incident
// on service PSHOP01.
func incidentBody(eventID, eventType, urgency, priority string) []byte {
	prio := "null"
	if priority != "" {
		prio = fmt.Sprintf(`{"id": "PPRIO01", "type": "priority_reference", "summary": %q}`, priority)
	}
	return fmt.Appendf(nil, `{"event": {
	"id": %q, "event_type": %q, "resource_type": "incident",
	"occurred_at": "2026-12-07T09:15:30.250Z",
	"agent": {"id": "PUSER01", "type": "user_reference", "summary": "Olga"},
	"client": {"name": "PagerDuty"},
	"data": {
		"id": "PINC042", "type": "incident", "number": 42, "status": "triggered",
		"html_url": "https://acme.pagerduty.com/incidents/PINC042",
		"title": "Checkout returns 500s",
		"service": {"id": "PSHOP01", "type": "service_reference", "summary": "Shop"},
		"urgency": %q, "priority": %s, "resolve_reason": null
	}
}}`, eventID, eventType, urgency, prio)
}

var (
	secretA = []byte("first-secret-0123456789")
	secretB = []byte("second-secret-0123456789")
)

func TestVerify(t *testing.T) {
	body := incidentBody("E1", IncidentTriggered, "high", "")
	tests := []struct {
		name    string
		header  string
		secrets [][]byte
		want    error
	}{
		{"good", Sign(body, secretA), [][]byte{secretA}, nil},
		{"rotated by PagerDuty: two signatures, the new one known", Sign(body, secretA, secretB), [][]byte{secretB}, nil},
		{"rotated by PagerDuty: the old one known", Sign(body, secretA, secretB), [][]byte{secretA}, nil},
		{"rotated here: two secrets configured", Sign(body, secretB), [][]byte{secretA, secretB}, nil},
		{"spaces around signatures", " " + Sign(body, secretA) + " , v1=00", [][]byte{secretA}, nil},
		{"wrong secret", Sign(body, secretB), [][]byte{secretA}, ErrBadSignature},
		{"signed another body", Sign([]byte(`{"event":{}}`), secretA), [][]byte{secretA}, ErrBadSignature},
		{"upper-case hex", "v1=" + strings.ToUpper(Sign(body, secretA)[3:]), [][]byte{secretA}, nil},
		{"no v1= prefix", Sign(body, secretA)[3:], [][]byte{secretA}, ErrMissingSignature},
		{"missing", "", [][]byte{secretA}, ErrMissingSignature},
		{"another version only", "v2=" + Sign(body, secretA)[3:], [][]byte{secretA}, ErrMissingSignature},
		{"not hex", "v1=zz", [][]byte{secretA}, ErrMissingSignature},
		{"truncated", Sign(body, secretA)[:40], [][]byte{secretA}, ErrMissingSignature},
		{"no secret configured", Sign(body, secretA), nil, ErrBadSignature},
		{"an empty secret matches nothing", Sign(body, []byte{}), [][]byte{{}}, ErrBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := Verify(body, tt.header, tt.secrets); !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
	// A body changed after signing fails, however little.
	changed := append([]byte{}, body...)
	changed[len(changed)-3] = ' '
	if err := Verify(changed, Sign(body, secretA), [][]byte{secretA}); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("changed body: %v", err)
	}
}

func TestParse(t *testing.T) {
	e, err := Parse(incidentBody("E1", IncidentTriggered, "high", "P1"))
	if err != nil {
		t.Fatal(err)
	}
	want := Incident{ID: "PINC042", Number: 42, Title: "Checkout returns 500s", HTMLURL: "https://acme.pagerduty.com/incidents/PINC042",
		Status: "triggered", Urgency: "high", Priority: "P1", ServiceID: "PSHOP01", ServiceName: "Shop"}
	if e.ID != "E1" || e.Type != IncidentTriggered || e.Incident == nil || *e.Incident != want {
		t.Fatalf("got %+v %+v", e, e.Incident)
	}
	if !e.OccurredAt.Equal(time.Date(2026, 12, 7, 9, 15, 30, 250e6, time.UTC)) {
		t.Errorf("occurred at %v", e.OccurredAt)
	}
}

func TestParseRefuses(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"not JSON", `{"event":`, "not JSON"},
		{"no event", `{"messages": []}`, "no event object"},
		{"no id", `{"event": {"event_type": "incident.triggered"}}`, "event.id"},
		{"no type", `{"event": {"id": "E1"}}`, "event_type is missing"},
		{"bad time", `{"event": {"id": "E1", "event_type": "service.updated", "occurred_at": "yesterday"}}`, "not an ISO 8601 time"},
		{"incident without data", `{"event": {"id": "E1", "event_type": "incident.triggered", "data": null}}`, "has no data"},
		{"incident data of another type", `{"event": {"id": "E1", "event_type": "incident.triggered", "data": {"id": "X", "type": "service"}}}`, "not an incident with an id"},
		{"incident data malformed", `{"event": {"id": "E1", "event_type": "incident.resolved", "data": {"id": 7}}}`, "data is not an incident"},
		{"triggered with data of another shape", `{"event": {"id": "E1", "event_type": "incident.triggered", "data": []}}`, "data is not an incident"},
		{"too large", `{"event": {"id": "` + strings.Repeat("x", MaxBody) + `"}}`, "exceeds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.body))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestParseOtherEvents(t *testing.T) {
	for _, body := range []string{
		`{"event": {"id": "E2", "event_type": "service.updated", "data": {"id": "PSHOP01", "type": "service"}}}`,
		`{"event": {"id": "E3", "event_type": "incident.annotated", "data": {"id": "N1", "type": "incident_note", "content": "hi"}}}`,
		`{"event": {"id": "E4", "event_type": "incident.acknowledged", "data": {"id": 7}}}`,
	} {
		e, err := Parse([]byte(body))
		if err != nil || e.Incident != nil {
			t.Fatalf("%s: %+v %v", body, e, err)
		}
		if d := testConfig(t).Decide(e); d.Intent != nil || !strings.Contains(d.Reason, "do not start or end freezes") {
			t.Errorf("%s: %+v", body, d)
		}
	}
}

func testConfig(t *testing.T) Config {
	t.Helper()
	c, err := RawConfig{
		Secrets: []string{string(secretA)},
		Services: map[string]RawService{
			"PSHOP01": {Repositories: []string{"shop", "checkout"}},
			"PCORE01": {OrgWide: true},
		},
		Urgencies:  []string{"high"},
		Priorities: []string{"P1", "SEV-1"},
	}.Validate()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDecide(t *testing.T) {
	c := testConfig(t)
	parse := func(body []byte) Event {
		e, err := Parse(body)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	orgWide := parse([]byte(strings.Replace(string(incidentBody("E9", IncidentTriggered, "high", "")), `"PSHOP01"`, `"PCORE01"`, 1)))
	unknown := parse([]byte(strings.Replace(string(incidentBody("E9", IncidentTriggered, "high", "")), `"PSHOP01"`, `"POTHER1"`, 1)))
	resolvedUnknown := parse([]byte(strings.Replace(string(incidentBody("E10", IncidentResolved, "low", "")), `"PSHOP01"`, `"POTHER1"`, 1)))
	tests := []struct {
		name       string
		e          Event
		action     Action
		repos      string
		orgWide    bool
		wantReason string
	}{
		{"high urgency freezes the service's repositories", parse(incidentBody("E1", IncidentTriggered, "high", "")), Start, "shop,checkout", false,
			"PagerDuty incident #42 (high urgency): Checkout returns 500s"},
		{"a listed priority freezes at low urgency", parse(incidentBody("E2", IncidentTriggered, "low", "SEV-1")), Start, "shop,checkout", false,
			"PagerDuty incident #42 (SEV-1, low urgency): Checkout returns 500s"},
		{"reopened", parse(incidentBody("E3", IncidentReopened, "high", "")), Start, "shop,checkout", false, ""},
		{"priority raised", parse(incidentBody("E4", IncidentPriorityUpdated, "low", "P1")), Start, "shop,checkout", false, ""},
		{"org-wide service", orgWide, Start, "", true, ""},
		{"low urgency, unlisted priority", parse(incidentBody("E5", IncidentTriggered, "low", "P3")), 0, "", false,
			`incident PINC042 has urgency "low" and priority "P3"; only urgencies [high] or priorities [P1 SEV-1] freeze merges`},
		{"unknown service", unknown, 0, "", false, "PagerDuty service POTHER1 (Shop) is not mapped to repositories"},
		{"resolved ends the freeze", parse(incidentBody("E6", IncidentResolved, "high", "")), End, "", false, ""},
		{"resolved ends it whatever the service and urgency", resolvedUnknown, End, "", false, ""},
		{"acknowledged changes nothing", parse(incidentBody("E7", "incident.acknowledged", "high", "")), 0, "", false, "incident.acknowledged events do not start or end freezes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := c.Decide(tt.e)
			if tt.action == 0 {
				if d.Intent != nil || !strings.Contains(d.Reason, tt.wantReason) {
					t.Fatalf("decision %+v, want no intent and a reason containing %q", d, tt.wantReason)
				}
				return
			}
			in := d.Intent
			if in == nil {
				t.Fatalf("no intent: %s", d.Reason)
			}
			if in.Action != tt.action || strings.Join(in.Repositories, ",") != tt.repos || in.OrgWide != tt.orgWide {
				t.Errorf("intent %+v", in)
			}
			if in.EventID != tt.e.ID || in.IncidentID != "PINC042" || in.URL != "https://acme.pagerduty.com/incidents/PINC042" || in.At.IsZero() {
				t.Errorf("identity %+v", in)
			}
			if tt.wantReason != "" && in.Reason != tt.wantReason {
				t.Errorf("reason %q, want %q", in.Reason, tt.wantReason)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	good := func() RawConfig {
		return RawConfig{Secrets: []string{string(secretA)}, Services: map[string]RawService{"P1": {OrgWide: true}}, Urgencies: []string{"high"}}
	}
	tests := []struct {
		name   string
		change func(*RawConfig)
		want   string
	}{
		{"good", func(*RawConfig) {}, ""},
		{"no secret", func(r *RawConfig) { r.Secrets = nil }, "no signing secret"},
		{"short secret", func(r *RawConfig) { r.Secrets = []string{"short"} }, "shorter than"},
		{"no services", func(r *RawConfig) { r.Services = nil }, "no services"},
		{"neither repositories nor org-wide", func(r *RawConfig) { r.Services = map[string]RawService{"P1": {}} }, "either repositories or org_wide"},
		{"both", func(r *RawConfig) {
			r.Services = map[string]RawService{"P1": {OrgWide: true, Repositories: []string{"shop"}}}
		}, "either repositories or org_wide"},
		{"owner/name", func(r *RawConfig) { r.Services = map[string]RawService{"P1": {Repositories: []string{"acme/shop"}}} }, "not a repository name"},
		{"no filter", func(r *RawConfig) { r.Urgencies = nil }, "neither urgencies nor priorities"},
		{"unknown urgency", func(r *RawConfig) { r.Urgencies = []string{"critical"} }, "high and low"},
		{"empty priority", func(r *RawConfig) { r.Priorities = []string{" "} }, "empty priority"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := good()
			tt.change(&r)
			_, err := r.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// FuzzParse: whatever the body, Parse does not panic, and what it accepts
// has an event id and type, within the limits.
func FuzzParse(f *testing.F) {
	f.Add(incidentBody("E1", IncidentTriggered, "high", "P1"))
	f.Add(incidentBody("E2", IncidentResolved, "low", ""))
	f.Add([]byte(`{"event": {"id": "E3", "event_type": "service.updated", "data": {"id": "P", "type": "service"}}}`))
	f.Add([]byte(`{"event": {"id": "E4", "event_type": "incident.triggered", "data": {"id": "I", "type": "incident", "priority": {"summary": 5}}}}`))
	f.Add([]byte(`null`))
	c, err := RawConfig{Secrets: []string{string(secretA)}, Services: map[string]RawService{"PSHOP01": {OrgWide: true}}, Urgencies: []string{"high"}}.Validate()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		e, err := Parse(body)
		if err != nil {
			return
		}
		if e.ID == "" || len(e.ID) > maxIDLength || e.Type == "" {
			t.Fatalf("accepted an event without a usable id or type: %+v", e)
		}
		if e.Incident != nil && (e.Incident.ID == "" || len(e.Incident.Title) > maxTitleLength) {
			t.Fatalf("accepted an incident without an id or with an unbounded title: %+v", e.Incident)
		}
		d := c.Decide(e)
		if (d.Intent == nil) == (d.Reason == "") {
			t.Fatalf("a decision needs an intent or a reason: %+v", d)
		}
		if d.Intent != nil && d.Intent.EventID != e.ID {
			t.Fatalf("intent lost the event id: %+v", d.Intent)
		}
	})
}
