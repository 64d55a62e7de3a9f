package deployhistory

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err) // test data only
	}
	return t
}

func TestParseFile(t *testing.T) {
	body := `[
	  {"id": 2, "sha": "ABCDEF0123456789ABCDEF0123456789ABCDEF01", "ref": "v1.42.0", "environment": "staging", "created_at": "2026-12-07T10:00:00Z",
	   "statuses": [{"state": "success", "created_at": "2026-12-07T10:05:00Z"}, {"state": "in_progress", "created_at": "2026-12-07T10:01:00Z"}]},
	  {"id": 1, "sha": "1111111111111111111111111111111111111111", "ref": "v1.41.0", "environment": "staging", "created_at": "2026-12-01T10:00:00Z"},
	  {"id": 3, "sha": "1111111111111111111111111111111111111111", "ref": "v1.41.0", "environment": "production", "created_at": "2026-12-02T10:00:00Z", "statuses": null}
	]`
	in, err := ParseFile([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if in.Status != StatusOK || len(in.Environments) != 2 || len(in.Environments["staging"]) != 2 || len(in.Environments["production"]) != 1 {
		t.Fatalf("%+v", in)
	}
	newest := in.Environments["staging"][0]
	if newest.ID != 2 || newest.SHA != "abcdef0123456789abcdef0123456789abcdef01" {
		t.Errorf("newest staging deployment %+v", newest)
	}
	if len(newest.Statuses) != 2 || newest.Statuses[0].State != "in_progress" || newest.Statuses[1].State != "success" {
		t.Errorf("statuses not oldest first: %+v", newest.Statuses)
	}
	// The shape the rule reads.
	b, _ := json.Marshal(in)
	for _, want := range []string{`"status":"ok"`, `"environments":{`, `"statuses":[]`, `"created_at":"2026-12-07T10:05:00Z"`, `"ref":"v1.42.0"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("input lacks %s: %s", want, b)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"not a list", `{"id": 1}`, "not a JSON list"},
		{"no id", `[{"environment": "staging", "created_at": "2026-12-07T10:00:00Z"}]`, "lacks id"},
		{"no environment", `[{"id": 1, "created_at": "2026-12-07T10:00:00Z"}]`, "lacks id"},
		{"bad time", `[{"id": 1, "environment": "staging", "created_at": "Monday"}]`, "not a JSON list"},
		{"status without state", `[{"id": 1, "environment": "staging", "created_at": "2026-12-07T10:00:00Z", "statuses": [{"created_at": "2026-12-07T10:00:00Z"}]}]`, "lacks state"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseFile([]byte(tt.body))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestFromDeploymentsBoundsTheHistory(t *testing.T) {
	var ds []Deployment
	start := at("2026-01-01T00:00:00Z")
	for i := range MaxDeploymentsPerEnvironment + 20 {
		d := Deployment{ID: int64(i), Environment: "staging", CreatedAt: start.Add(time.Duration(i) * time.Hour)}
		if i == 0 {
			for j := range MaxStatusesPerDeployment + 5 {
				d.Statuses = append(d.Statuses, Status{State: "pending", CreatedAt: start.Add(time.Duration(j) * time.Minute)})
			}
		}
		ds = append(ds, d)
	}
	in := FromDeployments(ds)
	list := in.Environments["staging"]
	if len(list) != MaxDeploymentsPerEnvironment || list[0].ID != int64(MaxDeploymentsPerEnvironment+19) {
		t.Fatalf("kept %d, newest %d", len(list), list[0].ID)
	}
	// The input does not alias the caller's statuses, and keeps the latest.
	if len(ds[0].Statuses) != MaxStatusesPerDeployment+5 {
		t.Fatal("the caller's statuses changed")
	}
	in = FromDeployments(ds[:1])
	st := in.Environments["staging"][0].Statuses
	if len(st) != MaxStatusesPerDeployment || !st[len(st)-1].CreatedAt.Equal(start.Add(time.Duration(MaxStatusesPerDeployment+4)*time.Minute)) {
		t.Fatalf("kept %d statuses, latest %v", len(st), st[len(st)-1].CreatedAt)
	}
}

func TestOutcomes(t *testing.T) {
	if in := PermissionMissing(); in.Status != StatusPermissionMissing || in.Environments == nil {
		t.Errorf("%+v", in)
	}
	if in := Failed(errors.New("GitHub answered 502")); in.Status != StatusError || in.Error != "GitHub answered 502" {
		t.Errorf("%+v", in)
	}
	if in := Failed(errors.New(strings.Repeat("é", 300))); len(in.Error) > maxText {
		t.Errorf("error not bounded: %d bytes", len(in.Error))
	}
}

// TestGitHubExamples reads the examples of GitHub's OpenAPI description for
// the two list endpoints, kept outside the repository.
func TestGitHubExamples(t *testing.T) {
	path := filepath.Join("..", "..", "..", "shared", "github", "openapi-api.github.com.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("GitHub's OpenAPI description is not available (%v); skipping", err)
	}
	var spec struct {
		Components struct {
			Examples map[string]struct {
				Value json.RawMessage `json:"value"`
			} `json:"examples"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	ds, err := ParseDeployments(spec.Components.Examples["deployment-items"].Value)
	if err != nil || len(ds) == 0 || ds[0].SHA == "" || ds[0].Environment == "" || ds[0].CreatedAt.IsZero() {
		t.Fatalf("deployments example: %+v %v", ds, err)
	}
	st, err := ParseStatuses(spec.Components.Examples["deployment-status-items"].Value)
	if err != nil || len(st) == 0 || st[0].State == "" || st[0].CreatedAt.IsZero() {
		t.Fatalf("statuses example: %+v %v", st, err)
	}
}
