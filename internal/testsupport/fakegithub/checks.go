package fakegithub

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// CheckRun is a check run as the fake stores it.
type CheckRun struct {
	ID         int64
	Repo       string
	Name       string
	HeadSHA    string
	Status     string
	Conclusion string
	ExternalID string
	// DetailsURL is the page the check run's "Details" link opens; "" when
	// the App set none.
	DetailsURL string
	Title      string
	Summary    string
	// Text is output.text, the details below the summary.
	Text        string
	Annotations []Annotation
	StartedAt   time.Time
	CompletedAt time.Time
	// Writes counts create and update requests for this check run.
	Writes int
	appID  int64
	// suiteID is the check suite the run belongs to: GitHub groups an App's
	// runs on one commit into one suite, and the ID never changes.
	suiteID int64
}

// Annotation is a check-run annotation.
type Annotation struct {
	Path      string `json:"path"`
	StartLine int    `json:"start_line"`
	EndLine   int    `json:"end_line"`
	Level     string `json:"annotation_level"`
	Title     string `json:"title"`
	Message   string `json:"message"`
}

// CheckRuns returns copies of the check runs on a commit of a repository,
// oldest first.
func (s *Server) CheckRuns(repo, sha string) []CheckRun {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []CheckRun
	for _, cr := range s.checkRuns {
		if strings.EqualFold(cr.Repo, repo) && cr.HeadSHA == sha {
			c := *cr
			c.Annotations = append([]Annotation(nil), cr.Annotations...)
			out = append(out, c)
		}
	}
	return out
}

type checkRunBody struct {
	Name        *string         `json:"name"`
	HeadSHA     *string         `json:"head_sha"`
	Status      *string         `json:"status"`
	Conclusion  *string         `json:"conclusion"`
	ExternalID  *string         `json:"external_id"`
	DetailsURL  *string         `json:"details_url"`
	StartedAt   *string         `json:"started_at"`
	CompletedAt *string         `json:"completed_at"`
	Output      *checkRunOutput `json:"output"`
	Actions     []any           `json:"actions"`
}

type checkRunOutput struct {
	Title       *string      `json:"title"`
	Summary     *string      `json:"summary"`
	Text        *string      `json:"text"`
	Annotations []Annotation `json:"annotations"`
}

var conclusions = map[string]bool{"action_required": true, "cancelled": true, "failure": true, "neutral": true, "success": true, "skipped": true, "stale": true, "timed_out": true}

// validate applies GitHub's rules for check-run bodies.
func validate(b checkRunBody, create bool) string {
	if create && (b.Name == nil || *b.Name == "") {
		return "name is required"
	}
	if create && (b.HeadSHA == nil || len(*b.HeadSHA) != 40) {
		return "head_sha must be a full 40-character commit SHA"
	}
	if b.Status != nil && *b.Status != "queued" && *b.Status != "in_progress" && *b.Status != "completed" {
		return "status is not one of queued, in_progress, completed"
	}
	if b.Status != nil && *b.Status == "completed" && b.Conclusion == nil {
		return "conclusion is required when status is completed"
	}
	if b.Conclusion != nil && !conclusions[*b.Conclusion] {
		return "conclusion is not valid"
	}
	if b.CompletedAt != nil {
		if _, err := time.Parse(time.RFC3339, *b.CompletedAt); err != nil {
			return "completed_at is not an ISO 8601 timestamp"
		}
	}
	if o := b.Output; o != nil {
		if o.Title == nil || o.Summary == nil {
			return "output requires title and summary"
		}
		if len(*o.Summary) > 65535 {
			return "output.summary is longer than 65535 characters"
		}
		if o.Text != nil && len(*o.Text) > 65535 {
			return "output.text is longer than 65535 characters"
		}
		if len(o.Annotations) > 50 {
			return "only 50 annotations are allowed per request"
		}
		for _, a := range o.Annotations {
			switch {
			case a.Path == "" || a.StartLine < 1 || a.EndLine < a.StartLine || a.Message == "":
				return "annotations require path, start_line, end_line and message"
			case a.Level != "notice" && a.Level != "warning" && a.Level != "failure":
				return "annotation_level is not one of notice, warning, failure"
			}
		}
	}
	if len(b.Actions) > 3 {
		return "at most 3 actions are allowed"
	}
	return ""
}

func unprocessable(msg string) (int, any) {
	return 422, map[string]any{"message": "Validation Failed: " + msg, "documentation_url": "https://docs.github.com/rest/checks/runs"}
}

func decodeBody(r *http.Request) (checkRunBody, string) {
	var b checkRunBody
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 2<<20))
	if err := dec.Decode(&b); err != nil {
		return b, "Problems parsing JSON: " + err.Error()
	}
	return b, ""
}

func (s *Server) createCheckRun(w *responder, r *http.Request) (int, any) {
	b, bad := decodeBody(r)
	if bad != "" {
		return 400, errorBody(bad)
	}
	if msg := validate(b, true); msg != "" {
		return unprocessable(msg)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.repo(r.PathValue("owner"), r.PathValue("repo"))
	if !rp.knowsCommit(*b.HeadSHA) {
		return unprocessable("No commit found for SHA: " + *b.HeadSHA)
	}
	w.pr = rp.prAt(*b.HeadSHA)
	now := s.now().UTC().Truncate(time.Second)
	cr := &CheckRun{ID: s.id(), Repo: rp.FullName(), Name: *b.Name, HeadSHA: *b.HeadSHA, Status: "queued", StartedAt: now, appID: s.appID}
	cr.suiteID = s.suiteFor(cr)
	s.apply(cr, b, now)
	s.checkRuns = append(s.checkRuns, cr)
	return 201, s.checkRunJSON(rp, cr)
}

func (s *Server) updateCheckRun(w *responder, r *http.Request) (int, any) {
	b, bad := decodeBody(r)
	if bad != "" {
		return 400, errorBody(bad)
	}
	if msg := validate(b, false); msg != "" {
		return unprocessable(msg)
	}
	id, _ := strconv.ParseInt(r.PathValue("check_run_id"), 10, 64)
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.repo(r.PathValue("owner"), r.PathValue("repo"))
	for _, cr := range s.checkRuns {
		if cr.ID == id && strings.EqualFold(cr.Repo, rp.FullName()) {
			w.pr = rp.prAt(cr.HeadSHA)
			if cr.appID != s.appID {
				return 403, errorBody("Invalid app_id: this check run belongs to another App")
			}
			s.apply(cr, b, s.now().UTC().Truncate(time.Second))
			return 200, s.checkRunJSON(rp, cr)
		}
	}
	return 404, errorBody("Not Found")
}

// apply writes a create or update request's fields into a run. The caller
// holds s.mu.
func (s *Server) apply(cr *CheckRun, b checkRunBody, now time.Time) {
	cr.Writes++
	// Writing a run settles its suite again after a re-run of the suite.
	delete(s.requeued, cr.suiteID)
	if b.Name != nil {
		cr.Name = *b.Name
	}
	if b.Status != nil {
		cr.Status = *b.Status
	}
	if b.Conclusion != nil {
		cr.Conclusion = *b.Conclusion
		cr.Status = "completed"
		// GitHub takes the app's completed_at (validate checked it).
		cr.CompletedAt = now
		if b.CompletedAt != nil {
			at, _ := time.Parse(time.RFC3339, *b.CompletedAt)
			cr.CompletedAt = at.UTC().Truncate(time.Second)
		}
	}
	if b.DetailsURL != nil {
		cr.DetailsURL = *b.DetailsURL
	}
	if b.ExternalID != nil {
		cr.ExternalID = *b.ExternalID
	}
	if o := b.Output; o != nil {
		cr.Title, cr.Summary, cr.Text = *o.Title, *o.Summary, ""
		if o.Text != nil {
			cr.Text = *o.Text
		}
		// GitHub appends annotations on every update.
		cr.Annotations = append(cr.Annotations, o.Annotations...)
	}
}

// suiteFor returns the suite of the App's other runs on the same commit,
// or a new one.
func (s *Server) suiteFor(cr *CheckRun) int64 {
	for _, other := range s.checkRuns {
		if strings.EqualFold(other.Repo, cr.Repo) && other.HeadSHA == cr.HeadSHA && other.appID == cr.appID {
			return other.suiteID
		}
	}
	return s.id()
}

func (rp *Repo) knowsCommit(sha string) bool {
	if _, ok := rp.trees[sha]; ok {
		return true
	}
	for _, p := range rp.pulls {
		for _, c := range p.commits {
			if c.sha == sha {
				return true
			}
		}
	}
	return false
}

func (s *Server) listCheckRunsForRef(w *responder, r *http.Request) (int, any) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.repo(r.PathValue("owner"), r.PathValue("repo"))
	w.pr = rp.prAt(r.PathValue("ref"))
	var matched []*CheckRun
	latest := map[string]*CheckRun{}
	for _, cr := range s.checkRuns {
		if !strings.EqualFold(cr.Repo, rp.FullName()) || cr.HeadSHA != r.PathValue("ref") {
			continue
		}
		if n := q.Get("check_name"); n != "" && cr.Name != n {
			continue
		}
		if a := q.Get("app_id"); a != "" && a != strconv.FormatInt(cr.appID, 10) {
			continue
		}
		if q.Get("filter") == "all" {
			matched = append(matched, cr)
		} else if prev := latest[cr.Name]; prev == nil || cr.ID > prev.ID {
			latest[cr.Name] = cr
		}
	}
	for _, cr := range latest {
		matched = append(matched, cr)
	}
	from, to, status, body := pagination(w, r, len(matched))
	if status != 0 {
		return status, body
	}
	runs := []any{}
	for _, cr := range matched[from:to] {
		runs = append(runs, s.checkRunJSON(rp, cr))
	}
	return 200, map[string]any{"total_count": len(matched), "check_runs": runs}
}

func (s *Server) checkRunJSON(rp *Repo, cr *CheckRun) map[string]any {
	u := fmt.Sprintf("%s/repos/%s/check-runs/%d", s.api(), rp.FullName(), cr.ID)
	var conclusion, completed, external, title, summary, text, details any
	if cr.Conclusion != "" {
		conclusion, completed = cr.Conclusion, ts(cr.CompletedAt)
	}
	if cr.ExternalID != "" {
		external = cr.ExternalID
	}
	if cr.Title != "" || cr.Summary != "" {
		title, summary = cr.Title, cr.Summary
	}
	if cr.Text != "" {
		text = cr.Text
	}
	if cr.DetailsURL != "" {
		details = cr.DetailsURL
	}
	return map[string]any{
		"id": cr.ID, "node_id": nodeID("CR_", cr.ID), "head_sha": cr.HeadSHA, "name": cr.Name,
		"external_id": external, "url": u, "html_url": fmt.Sprintf("%s/%s/runs/%d", webHost, rp.FullName(), cr.ID),
		"details_url": details, "status": cr.Status, "conclusion": conclusion,
		"started_at": ts(cr.StartedAt), "completed_at": completed,
		"output": map[string]any{
			"title": title, "summary": summary, "text": text, "annotations_count": len(cr.Annotations),
			"annotations_url": u + "/annotations",
		},
		"check_suite":   map[string]any{"id": cr.suiteID},
		"app":           s.appJSON(),
		"pull_requests": []any{},
	}
}
