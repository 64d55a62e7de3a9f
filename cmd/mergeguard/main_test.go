package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mergeguard/mergeguard/internal/cli"
)

func runMain(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, func(k string) string { return env[k] }, &out, &errb)
	code = cli.ExitCode(err, &errb)
	return out.String(), errb.String(), code
}

func TestEvalExamples(t *testing.T) {
	tests := []struct {
		dir   string
		code  int
		title string
	}{
		{"approved", 0, "Passed: 3 of 3 rules passed"},
		{"unreviewed", 1, "Blocked by Diff coverage and Required reviewers"},
		{"changes-requested", 1, "Blocked by Required reviewers"},
		{"migration", 1, "Blocked by Migration safety"},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			dir := filepath.Join("..", "..", "testdata", "prs", tt.dir)
			out, errOut, code := runMain(t, nil, "eval", dir)
			if code != tt.code || !strings.HasPrefix(out, tt.title) {
				t.Fatalf("exit %d (want %d)\nstdout:\n%s\nstderr:\n%s", code, tt.code, out, errOut)
			}
			out, _, code = runMain(t, nil, "eval", "--format", "json", dir)
			var res struct {
				Conclusion string `json:"conclusion"`
				Blocked    bool   `json:"blocked"`
				HeadSHA    string `json:"head_sha"`
				CheckRun   struct {
					Title   string `json:"title"`
					Summary string `json:"summary"`
				} `json:"check_run"`
				Rules []struct {
					ID      string `json:"id"`
					Outcome string `json:"outcome"`
				} `json:"rules"`
			}
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				t.Fatalf("--format json is not JSON: %v\n%s", err, out)
			}
			if res.CheckRun.Title != tt.title || res.Blocked != (tt.code == 1) || code != tt.code || len(res.HeadSHA) != 40 || len(res.Rules) == 0 {
				t.Fatalf("json result %+v, exit %d", res, code)
			}
		})
	}
}

func TestEvalInputOnlyPrintsTheInputDocument(t *testing.T) {
	out, _, code := runMain(t, nil, "eval", "--input-only", "--at", "2026-11-20T16:00:00+01:00", filepath.Join("..", "..", "testdata", "prs", "approved"))
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var in struct {
		Version int `json:"version"`
		Time    struct {
			RFC3339 string `json:"rfc3339"`
		} `json:"time"`
		Files []struct {
			Path       string `json:"path"`
			AddedLines []struct {
				Line int `json:"line"`
			} `json:"added_lines"`
		} `json:"files"`
		Reviews []struct {
			State string `json:"state"`
		} `json:"reviews"`
	}
	if err := json.Unmarshal([]byte(out), &in); err != nil {
		t.Fatal(err)
	}
	if in.Version != 1 || in.Time.RFC3339 != "2026-11-20T15:00:00Z" || len(in.Files) != 2 || in.Files[0].Path != "checkout/discount.go" || len(in.Reviews) != 1 {
		t.Fatalf("input %+v", in)
	}
}

func TestEvalErrorsSayWhatToDo(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, errOut, code := runMain(t, nil, "eval", dir)
	if code != 2 || !strings.Contains(errOut, "pull_request.json is missing") || !strings.Contains(errOut, "gh api") {
		t.Fatalf("missing files: exit %d %s", code, errOut)
	}
	write("pull_request.json", "{\n  \"number\": 1,\n  \"title\": \n}")
	_, errOut, code = runMain(t, nil, "eval", dir)
	if code != 2 || !strings.Contains(errOut, "line 4") {
		t.Fatalf("bad JSON: exit %d %s", code, errOut)
	}
	write("pull_request.json", `{"number": 1}`)
	_, errOut, code = runMain(t, nil, "eval", dir)
	if code != 2 || !strings.Contains(errOut, "missing user.login, head.sha, base.ref, base.repo.full_name") {
		t.Fatalf("incomplete pull request: exit %d %s", code, errOut)
	}
	_, errOut, code = runMain(t, nil, "eval", "--format", "yaml", dir)
	if code != 2 || !strings.Contains(errOut, "use text or json") {
		t.Fatalf("bad format: exit %d %s", code, errOut)
	}
	_, errOut, code = runMain(t, nil, "eval", "--at", "friday", dir)
	if code != 2 || !strings.Contains(errOut, "RFC 3339") {
		t.Fatalf("bad --at: exit %d %s", code, errOut)
	}
	_, errOut, code = runMain(t, nil, "eval", "--no-such-flag", dir)
	if code != 2 || !strings.Contains(errOut, "unknown flag") {
		t.Fatalf("bad flag: exit %d %s", code, errOut)
	}
}

func TestServeRefusesToStartWithoutRequiredSettings(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, "MERGEGUARD_APP_ID: required"},
		{map[string]string{"MERGEGUARD_APP_ID": "12"}, "MERGEGUARD_PRIVATE_KEY_FILE: required"},
		{map[string]string{"MERGEGUARD_APP_ID": "12", "MERGEGUARD_PRIVATE_KEY_FILE": "/nonexistent/key.pem"}, "MERGEGUARD_PRIVATE_KEY_FILE: /nonexistent/key.pem does not exist"},
	}
	for _, tt := range tests {
		_, errOut, code := runMain(t, tt.env, "serve")
		lines := strings.Split(strings.TrimSpace(errOut), "\n")
		if code != 2 || len(lines) != 1 || !strings.Contains(lines[0], tt.want) {
			t.Errorf("env %v: exit %d, stderr %q; want one line containing %q", tt.env, code, errOut, tt.want)
		}
	}
}
