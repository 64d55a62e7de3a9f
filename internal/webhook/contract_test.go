package webhook

// Contract tests: the hand-written payloads in handler_test.go only show
// that parseDelivery agrees with our idea of a delivery. These run GitHub's
// own example deliveries (../shared/github/webhook-examples, kept outside the
// repository) through it, so a field GitHub names or nests differently from
// what we assumed fails here rather than in production.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/metrics"
	"github.com/mergeguard/mergeguard/internal/testsupport/reference"
)

func examplesDir(t testing.TB) string {
	return filepath.Join(reference.Dir(t, "webhook-examples"), "webhook-examples")
}

// example is one of GitHub's example deliveries, with the facts mergeguard
// needs read straight from its JSON, independently of parseDelivery and of
// go-github's types.
type example struct {
	event, file string // file is event/name.json, for messages
	payload     []byte

	action          string
	hasInstallation bool
	installationID  int64
	repoID          int64
	repo            string // owner/name
	number          int
	// head is the pull request's head and updated_at, for the events
	// that carry the pull request.
	head decision.HeadSighting
	// rerun is set for a person's re-run request (a check's button).
	rerun *decision.Rerun
}

// loadExamples reads every example, grouped by the event its folder is
// named after (GitHub sends that name in X-GitHub-Event).
func loadExamples(t *testing.T) []example {
	t.Helper()
	dir := examplesDir(t)
	paths, err := filepath.Glob(filepath.Join(dir, "*", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(paths)
	var out []example
	for _, path := range paths {
		ex := example{event: filepath.Base(filepath.Dir(path))}
		ex.file = ex.event + "/" + filepath.Base(path)
		if ex.payload, err = os.ReadFile(path); err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		dec := json.NewDecoder(bytes.NewReader(ex.payload))
		// Numbers as json.Number: IDs must compare exactly, not as float64.
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("%s is not a JSON object: %v", ex.file, err)
		}
		ex.action, _ = m["action"].(string)
		_, ex.hasInstallation = m["installation"]
		ex.installationID = intAt(m, "installation", "id")
		ex.repoID = intAt(m, "repository", "id")
		owner, _ := reference.At(m, "repository", "owner", "login").(string)
		name, _ := reference.At(m, "repository", "name").(string)
		ex.repo = owner + "/" + name
		ex.number = int(intAt(m, "pull_request", "number"))
		if ex.event == "pull_request" || ex.event == "pull_request_review" {
			ex.head.SHA, _ = reference.At(m, "pull_request", "head", "sha").(string)
			updated, _ := reference.At(m, "pull_request", "updated_at").(string)
			if ex.head.From, err = time.Parse(time.RFC3339, updated); err != nil {
				t.Fatalf("%s: pull_request.updated_at %q: %v", ex.file, updated, err)
			}
			ex.head.Opened = ex.event == "pull_request" && ex.action == "opened"
		}
		switch ex.event {
		case "issue_comment":
			// GitHub's examples hold no command; give them one, so the
			// contract covers how a command comment is read.
			ex.number = int(intAt(m, "issue", "number"))
			if c, ok := m["comment"].(map[string]any); ok {
				c["body"] = "/guard help"
				if ex.payload, err = json.Marshal(m); err != nil {
					t.Fatal(err)
				}
			}
		case "check_run", "check_suite":
			// A re-run evaluates the first pull request the check names.
			prs, _ := reference.At(m, ex.event, "pull_requests").([]any)
			for _, pr := range prs {
				if n := int(intAt(pr, "number")); n > 0 {
					ex.number = n
					break
				}
			}
			// Whoever pressed it is told it was done.
			sender, _ := reference.At(m, "sender", "login").(string)
			ex.rerun = &decision.Rerun{By: sender, Via: rerunVia[ex.event+"."+ex.action]}
		case "merge_group":
			ref, _ := reference.At(m, "merge_group", "head_ref").(string)
			fmt.Sscanf(ref[strings.LastIndex(ref, "/pr-")+len("/pr-"):], "%d", &ex.number)
		}
		if ex.event == "pull_request" {
			// A pull_request delivery carries the number twice; they must
			// agree, or it would matter which one the app reads.
			if top := int(intAt(m, "number")); top != ex.number {
				t.Fatalf("%s: number %d but pull_request.number %d", ex.file, top, ex.number)
			}
		}
		out = append(out, ex)
	}
	if len(out) == 0 {
		t.Fatalf("no example payloads under %s", dir)
	}
	return out
}

func intAt(v any, keys ...string) int64 {
	n, _ := reference.At(v, keys...).(json.Number)
	i, _ := n.Int64()
	return i
}

// outcome is what mergeguard should make of an example.
type outcome int

const (
	accept         outcome = iota // a delivery to evaluate
	ignore                        // well formed, nothing to do
	noInstallation                // a repository/organization webhook, not the App's
)

func (ex example) want() outcome {
	switch {
	case !handledActions[ex.event][ex.action]:
		return ignore
	case (ex.event == "check_run" || ex.event == "check_suite") && ex.number == 0:
		return ignore // a fork's check names no pull request
	case !ex.hasInstallation:
		return noInstallation
	}
	return accept
}

func (ex example) delivery(id string) decision.Delivery {
	return decision.Delivery{
		ID: id, Event: ex.event, Action: ex.action, InstallationID: ex.installationID,
		PR: decision.PRKey{RepoID: ex.repoID, Repo: ex.repo, Number: ex.number}, Head: ex.head, Rerun: ex.rerun,
	}
}

// show spells out every field: PRKey's String method would hide RepoID.
func show(d decision.Delivery) string {
	s := fmt.Sprintf("id=%q event=%s action=%s installation.id=%d repository.id=%d repo=%q number=%d head=%q updated_at=%s opened=%v",
		d.ID, d.Event, d.Action, d.InstallationID, d.PR.RepoID, d.PR.Repo, d.PR.Number, d.Head.SHA, d.Head.From.Format(time.RFC3339), d.Head.Opened)
	if d.Rerun != nil {
		s += fmt.Sprintf(" rerun=%+v", *d.Rerun)
	}
	return s
}

// parse runs parseDelivery, turning a panic into an error so one bad
// payload reports its file instead of aborting the whole run.
func parse(ex example) (d decision.Delivery, work job, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("parseDelivery panicked: %v", p)
		}
	}()
	return parseDelivery(ex.event, "id", ex.payload, "/guard")
}

func TestParseDeliveryOnGitHubsExamplePayloads(t *testing.T) {
	examples := loadExamples(t)
	accepted := map[string]int{}
	for _, ex := range examples {
		t.Run(ex.file, func(t *testing.T) {
			d, job, err := parse(ex)
			var malformed *malformedError
			switch want := ex.want(); {
			case handledActions[ex.event] == nil:
				// Every event GitHub may send must be safe to receive, even
				// one mergeguard has no use for yet.
				if !errors.Is(err, errIgnored) {
					t.Fatalf("%s: event %q is not handled, want errIgnored, got %+v, %v", ex.file, ex.event, d, err)
				}
			case want == ignore:
				if !errors.Is(err, errIgnored) {
					t.Fatalf("%s: action %q of %s is not handled, want errIgnored, got %+v, %v", ex.file, ex.action, ex.event, d, err)
				}
			case want == noInstallation:
				// mergeguard only accepts its App's deliveries; this example
				// is what a repository webhook sends.
				if !errors.As(err, &malformed) || !strings.Contains(malformed.reason, "installation") {
					t.Fatalf("%s has no installation: want a *malformedError about the installation, got %v", ex.file, err)
				}
			default:
				if err != nil {
					t.Fatalf("%s: action %q is handled, but parseDelivery failed: %v", ex.file, ex.action, err)
				}
				if want := ex.delivery("id"); !reflect.DeepEqual(d, want) {
					t.Fatalf("%s: parsed\n  %s\nwant (read from the payload)\n  %s", ex.file, show(d), show(want))
				}
				switch j := job.(type) {
				case nil:
					if ex.event != "pull_request" && ex.event != "pull_request_review" && ex.event != "check_run" && ex.event != "check_suite" {
						t.Fatalf("%s: no job for a %s", ex.file, ex.event)
					}
				case decision.MergeGroupRequest:
					if j.HeadSHA == "" || j.BaseRef != "main" || j.Number != ex.number {
						t.Fatalf("%s: merge group job %+v", ex.file, j)
					}
				case decision.Comment:
					if j.Body != "/guard help" || j.CommentID == 0 || j.Author == "" || j.URL == "" {
						t.Fatalf("%s: command job %+v", ex.file, j)
					}
				}
				accepted[ex.event]++
			}
		})
	}
	// Without these, a renamed folder would leave the checks above with
	// nothing to check.
	for event := range handledActions {
		if accepted[event] == 0 {
			t.Errorf("no example %s delivery was accepted: the contract covers nothing for it", event)
		}
	}
}

// TestHandlerOnGitHubsExamplePayloads sends every example through the whole
// handler, signed as GitHub signs them, so that what parses also gets past
// signature, content-type and JSON checks with GitHub's real bytes.
func TestHandlerOnGitHubsExamplePayloads(t *testing.T) {
	for _, ex := range loadExamples(t) {
		t.Run(ex.file, func(t *testing.T) {
			acc := &fakeAcceptor{outcome: decision.Queued}
			h, err := New([]byte(secret), acc, slog.New(slog.DiscardHandler), metrics.New(), time.Now)
			if err != nil {
				t.Fatal(err)
			}
			const id = "72d3162e-cc78-11e3-81ab-4c9367dc0958"
			req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(ex.payload))
			req.Header.Set("X-GitHub-Event", ex.event)
			req.Header.Set("X-GitHub-Delivery", id)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Hub-Signature-256", sign(ex.payload))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)

			switch ex.want() {
			case accept:
				if rec.Code != http.StatusAccepted || len(acc.got) != 1 {
					t.Fatalf("%s: status %d, %d deliveries stored, want 202 and 1: %s", ex.file, rec.Code, len(acc.got), rec.Body)
				}
				got := acc.got[0]
				// The head was seen, at the latest, when the delivery arrived.
				if got.Head.SHA != "" && !got.Head.To.Equal(got.ReceivedAt) {
					t.Fatalf("%s: head seen until %s, received at %s", ex.file, got.Head.To, got.ReceivedAt)
				}
				got.ReceivedAt, got.Head.To = time.Time{}, time.Time{}
				if want := ex.delivery(id); !reflect.DeepEqual(got, want) {
					t.Fatalf("%s: stored\n  %s\nwant (read from the payload)\n  %s", ex.file, show(got), show(want))
				}
			case ignore:
				if rec.Code != http.StatusAccepted || len(acc.got) != 0 || !strings.Contains(rec.Body.String(), "ignored") {
					t.Fatalf("%s: status %d, %d deliveries stored, want 202 ignored and none: %s", ex.file, rec.Code, len(acc.got), rec.Body)
				}
			case noInstallation:
				if rec.Code != http.StatusBadRequest || len(acc.got) != 0 || !strings.Contains(rec.Body.String(), "installation") {
					t.Fatalf("%s: status %d, %d deliveries stored, want 400 naming the installation and none: %s", ex.file, rec.Code, len(acc.got), rec.Body)
				}
			}
		})
	}
}
