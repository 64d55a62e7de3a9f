package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/mergeguard/mergeguard/internal/pagerduty"
	"github.com/mergeguard/mergeguard/internal/settings"
	"github.com/mergeguard/mergeguard/internal/testsupport/fakegithub"
)

const (
	freezeToken = "freeze-token-0123456789abcdef0123456789"
	pdSecret    = "pagerduty-subscription-secret"
)

func pdIncident(eventID, eventType string) []byte {
	return fmt.Appendf(nil, `{"event": {"id": %q, "event_type": %q, "resource_type": "incident", "occurred_at": "2026-12-07T09:15:30Z",
	"data": {"id": "PINC42", "type": "incident", "number": 42, "status": "triggered", "title": "Checkout returns 500s",
		"html_url": "https://acme.pagerduty.com/incidents/PINC42",
		"service": {"id": "PSHOP01", "type": "service_reference", "summary": "Shop"}, "urgency": "high", "priority": null}}}`, eventID, eventType)
}

func post(t *testing.T, url string, header map[string]string, body []byte) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// Freezes from outside GitHub go through the running server: a PagerDuty
// incident on the shop's service turns the shop's open pull request red with
// the incident as the reason, and its resolution turns it green; a freeze
// token does the same through the freezes API.
func TestFreezesFromPagerDutyAndTheAPIReachOpenPullRequests(t *testing.T) {
	gh := fakegithub.New(t)
	_, shop := policyOrg(gh, map[string]string{"mergeguard/config.yaml": "mode: enforce\n"})
	pd, err := pagerduty.RawConfig{Secrets: []string{pdSecret}, Services: map[string]pagerduty.RawService{"PSHOP01": {Repositories: []string{"shop"}}}, Urgencies: []string{"high"}}.Validate()
	if err != nil {
		t.Fatal(err)
	}
	h := start(t, gh, config{incidents: settings.Incidents{
		FreezeTokens: []settings.UploadToken{{Scope: "acme/*", Token: freezeToken}},
		PagerDuty:    &settings.PagerDuty{Owner: "acme", Config: pd},
	}})
	pr, review := approvedPR(gh, shop)
	h.deliver("pull_request_review", "", gh.Payload("pull_request_review", "submitted", pr, &review))
	waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("success"))

	sign := func(b []byte) map[string]string {
		return map[string]string{pagerduty.SignatureHeader: pagerduty.Sign(b, []byte(pdSecret))}
	}
	trigger := pdIncident("E1", "incident.triggered")
	if code, body := post(t, h.base+"/api/v1/pagerduty", map[string]string{pagerduty.SignatureHeader: "v1=00"}, trigger); code != 401 {
		t.Fatalf("a bad signature: %d %s", code, body)
	}
	if code, body := post(t, h.base+"/api/v1/pagerduty", sign(trigger), trigger); code != 201 {
		t.Fatalf("trigger: %d %s", code, body)
	}
	cr := waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("failure"))[0]
	if !strings.Contains(cr.Summary, "PagerDuty incident #42 (high urgency): Checkout returns 500s") {
		t.Fatalf("summary:\n%s", cr.Summary)
	}
	resolve := pdIncident("E2", "incident.resolved")
	if code, body := post(t, h.base+"/api/v1/pagerduty", sign(resolve), resolve); code != 200 || !strings.Contains(body, "unfrozen") {
		t.Fatalf("resolve: %d %s", code, body)
	}
	waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("success"))

	auth := map[string]string{"Authorization": "Bearer " + freezeToken}
	code, body := post(t, h.base+"/api/v1/freezes?org=acme", auth, []byte(`{"reason": "database failover", "by": "chatops"}`))
	if code != 201 {
		t.Fatalf("freeze: %d %s", code, body)
	}
	cr = waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("failure"))[0]
	if !strings.Contains(cr.Summary, "database failover") {
		t.Fatalf("summary:\n%s", cr.Summary)
	}
	var started struct{ ID int64 }
	if err := json.Unmarshal([]byte(body), &started); err != nil || started.ID == 0 {
		t.Fatalf("the answer names no freeze: %s", body)
	}
	req, _ := http.NewRequest(http.MethodDelete, fmt.Sprintf("%s/api/v1/freezes/%d?org=acme", h.base, started.ID), nil)
	req.Header.Set("Authorization", "Bearer "+freezeToken)
	if code, body := do(t, req); code != 200 {
		t.Fatalf("unfreeze: %d %s", code, body)
	}
	waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("success"))
}
