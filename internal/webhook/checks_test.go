package webhook

import (
	"errors"
	"testing"
)

func TestRerequestedChecksEvaluateTheirPullRequest(t *testing.T) {
	const repo = `"repository": {"id": 42, "name": "shop", "owner": {"login": "acme"}}, "installation": {"id": 7}, "sender": {"login": "mira"}`
	tests := []struct {
		name, event, payload string
		want                 int // pull request number; 0: ignored
		via                  string
	}{
		{"re-run of the check", "check_run", `{"action": "rerequested", "check_run": {"id": 1, "pull_requests": [{"number": 12}]}, ` + repo + `}`, 12, "Re-run"},
		{"a button on the check", "check_run", `{"action": "requested_action", "requested_action": {"identifier": "recheck"}, "check_run": {"id": 1, "pull_requests": [{"number": 12}]}, ` + repo + `}`, 12, "a button on the check"},
		{"re-run of the suite", "check_suite", `{"action": "rerequested", "check_suite": {"id": 2, "pull_requests": [{"number": 0}, {"number": 5}]}, ` + repo + `}`, 5, "Re-run of all checks"},
		{"a fork's check names no pull request", "check_run", `{"action": "rerequested", "check_run": {"id": 1, "pull_requests": []}, ` + repo + `}`, 0, ""},
		{"a completed check is not news", "check_run", `{"action": "completed", "check_run": {"id": 1, "pull_requests": [{"number": 12}]}, ` + repo + `}`, 0, ""},
		{"a requested suite is GitHub's, not a person's", "check_suite", `{"action": "requested", "check_suite": {"id": 2, "pull_requests": [{"number": 5}]}, ` + repo + `}`, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, job, err := parseDelivery(tt.event, "id", []byte(tt.payload), "/guard")
			if tt.want == 0 {
				if !errors.Is(err, errIgnored) {
					t.Fatalf("got %+v, %v; want ignored", d, err)
				}
				return
			}
			if err != nil || job != nil {
				t.Fatalf("got job %v, err %v; want an evaluation", job, err)
			}
			if d.PR.Number != tt.want || d.PR.Repo != "acme/shop" || d.InstallationID != 7 {
				t.Errorf("delivery = %+v", d)
			}
			// Whoever pressed the button is told it was done.
			if d.Rerun == nil || d.Rerun.By != "mira" || d.Rerun.Via != tt.via {
				t.Errorf("re-run request = %+v, want one by mira via %q", d.Rerun, tt.via)
			}
		})
	}
}
