package server

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/metrics"
	"github.com/mergeguard/mergeguard/internal/pagerduty"
	"github.com/mergeguard/mergeguard/internal/store"
	"github.com/mergeguard/mergeguard/internal/testsupport/dbtest"
)

var pdSecret = []byte("pagerduty-subscription-secret")

// pdEvent is a V3 delivery in PagerDuty's documented shape.
func pdEvent(eventID, eventType, incidentID, service, urgency string) []byte {
	return fmt.Appendf(nil, `{"event": {
	"id": %q, "event_type": %q, "resource_type": "incident", "occurred_at": "2026-12-07T09:15:30.250Z",
	"agent": {"id": "PUSER01", "type": "user_reference", "summary": "Olga"}, "client": {"name": "PagerDuty"},
	"data": {"id": %q, "type": "incident", "number": 42, "status": "triggered",
		"html_url": "https://acme.pagerduty.com/incidents/%s", "title": "Checkout returns 500s",
		"service": {"id": %q, "type": "service_reference", "summary": "Shop"},
		"urgency": %q, "priority": null}
}}`, eventID, eventType, incidentID, incidentID, service, urgency)
}

func pagerDutyServer(t *testing.T, db *store.DB, sw *sweeps, now time.Time) http.Handler {
	t.Helper()
	c, err := pagerduty.RawConfig{
		Secrets:   []string{string(pdSecret)},
		Services:  map[string]pagerduty.RawService{"PSHOP01": {Repositories: []string{"shop", "checkout"}}, "PCORE01": {OrgWide: true}},
		Urgencies: []string{"high"},
	}.Validate()
	if err != nil {
		t.Fatal(err)
	}
	h := &PagerDutyHandler{DB: db, Sweeps: sw, Owner: "acme", Config: c, Now: func() time.Time { return now }, Log: slog.New(slog.DiscardHandler)}
	return New(Config{PagerDuty: h, Webhook: http.NotFoundHandler(), Log: slog.New(slog.DiscardHandler), Metrics: metrics.New()}).Handler()
}

func deliverPD(t *testing.T, h http.Handler, body []byte, signature string) (int, string) {
	t.Helper()
	req := httptest.NewRequest("POST", "/api/v1/pagerduty", bytes.NewReader(body))
	if signature != "" {
		req.Header.Set(pagerduty.SignatureHeader, signature)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

func freezesOf(t *testing.T, db *store.DB, now time.Time) []store.Freeze {
	t.Helper()
	var out []store.Freeze
	if err := db.InTx(t.Context(), func(tx store.Tx) error {
		var err error
		out, err = store.Freezes(t.Context(), tx, "acme", now)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// Deliveries in order against one receiver: what each is answered and how
// many freezes are in effect after it. Bad signatures, malformed bodies,
// unmapped services, low urgencies and replays change nothing; one
// incident makes one freeze of its service's repositories, which its
// resolution ends.
func TestPagerDutyReceiver(t *testing.T) {
	now := time.Date(2026, 12, 7, 9, 16, 0, 0, time.UTC)
	db := dbtest.Open(t, dbtest.SQLiteConfig(t))
	sw := &sweeps{}
	h := pagerDutyServer(t, db, sw, now)
	sign := func(b []byte) string { return pagerduty.Sign(b, pdSecret) }
	trigger := pdEvent("E1", "incident.triggered", "PINC42", "PSHOP01", "high")
	steps := []struct {
		name      string
		body      []byte
		signature string
		status    int
		want      string
		freezes   int
	}{
		{"no signature", trigger, "none", 401, "no v1 signature", 0},
		{"wrong secret", trigger, pagerduty.Sign(trigger, []byte("someone-elses-secret-000")), 401, "matches a configured secret", 0},
		{"signed, then altered", bytes.Replace(trigger, []byte(`"high"`), []byte(`"low" `), 1), sign(trigger), 401, "matches a configured secret", 0},
		{"not a V3 event", []byte(`{"messages": []}`), sign([]byte(`{"messages": []}`)), 400, "no event object", 0},
		{"unmapped service", pdEvent("E0", "incident.triggered", "PINC41", "POTHER1", "high"), "", 202, "not mapped to repositories", 0},
		{"low urgency", pdEvent("E00", "incident.triggered", "PINC40", "PSHOP01", "low"), "", 202, `urgency \"low\"`, 0},
		{"triggered", trigger, sign(trigger), 201, `"status":"frozen"`, 1},
		{"replayed", trigger, sign(trigger), 200, `"status":"duplicate"`, 1},
		{"the same incident again", pdEvent("E2", "incident.priority_updated", "PINC42", "PSHOP01", "high"), "", 200, `"status":"unchanged"`, 1},
		{"another incident, org-wide", pdEvent("E3", "incident.triggered", "PINC43", "PCORE01", "high"), "", 201, `"status":"frozen"`, 2},
		{"resolved", pdEvent("E4", "incident.resolved", "PINC42", "PSHOP01", "high"), "", 200, `"status":"unfrozen"`, 1},
		{"resolved replayed", pdEvent("E4", "incident.resolved", "PINC42", "PSHOP01", "high"), "", 200, `"status":"duplicate"`, 1},
		{"reopened", pdEvent("E5", "incident.reopened", "PINC42", "PSHOP01", "high"), "", 201, `"status":"frozen"`, 2},
		{"a week-old event", bytes.Replace(pdEvent("E7", "incident.triggered", "PINC44", "PCORE01", "high"), []byte("2026-12-07T09:15"), []byte("2026-11-29T09:15"), 1), "", 202, "a replay, not an incident", 2},
		{"a note", []byte(`{"event": {"id": "E6", "event_type": "incident.annotated", "resource_type": "incident"}}`), "", 202, "do not start or end freezes", 2},
		{"too large", bytes.Repeat([]byte(" "), pagerduty.MaxBody+1), "v1=00", 413, "larger than", 2},
	}
	for _, s := range steps {
		sig := s.signature
		switch sig {
		case "":
			sig = sign(s.body)
		case "none":
			sig = ""
		}
		status, body := deliverPD(t, h, s.body, sig)
		if status != s.status || !strings.Contains(body, s.want) {
			t.Fatalf("%s: %d %s, want %d with %s", s.name, status, body, s.status, s.want)
		}
		if n := len(freezesOf(t, db, now)); n != s.freezes {
			t.Fatalf("%s: %d freezes in effect, want %d", s.name, n, s.freezes)
		}
	}
	fs := freezesOf(t, db, now)
	if shop := fs[1]; strings.Join(shop.Repositories, ",") != "shop,checkout" || shop.CreatedBy != "pagerduty" ||
		!strings.HasPrefix(shop.Reason, "PagerDuty incident #42 (high urgency): Checkout returns 500s (https://acme.pagerduty.com/incidents/PINC42)") {
		t.Errorf("the reopened incident's freeze: %+v", shop)
	}
	if core := fs[0]; len(core.Repositories) != 0 {
		t.Errorf("an org-wide freeze lists %v", core.Repositories)
	}
	var actions []string
	for _, e := range auditLog(t, db) {
		actions = append(actions, e.Action+" by "+e.Actor)
	}
	if got := strings.Join(actions, ","); strings.Count(got, "freeze.start by pagerduty") != 3 || strings.Count(got, "freeze.end by pagerduty") != 1 || len(actions) != 4 {
		t.Errorf("audit trail %v", actions)
	}
	if len(sw.keys) != 4 {
		t.Errorf("sweeps %v; want one per freeze change", sw.keys)
	}
}
