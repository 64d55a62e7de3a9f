package fakegithub

import (
	"fmt"
	"strings"
)

// RerunPayload is a person (login) pressing Re-run on the App's check run
// called name on pr's head commit: it returns the delivery GitHub sends the
// App, check_run "rerequested" for that run, or with suite set,
// check_suite "rerequested" for the App's whole suite on the commit.
//
// As on GitHub, the check run itself is left as it was: it is up to the App
// to show that it ran again. Re-running the suite resets the suite to
// "queued" (SuiteStatus), until the App writes one of its runs again.
func (s *Server) RerunPayload(pr *PR, name, login string, suite bool) []byte {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var run *CheckRun
	for _, cr := range s.checkRuns {
		if strings.EqualFold(cr.Repo, pr.repo.FullName()) && cr.HeadSHA == pr.headSHA && cr.Name == name && cr.appID == s.appID {
			run = cr
		}
	}
	if run == nil {
		s.t.Fatalf("fake GitHub: RerunPayload: the App has no check run %q on %s@%.7s to re-run", name, pr.repo.FullName(), pr.headSHA)
	}
	body := map[string]any{
		"action":       "rerequested",
		"repository":   s.orgRepoJSON(pr.repo),
		"organization": s.orgJSON(pr.repo.owner),
		"sender":       s.userJSON(login, "User"),
		"installation": installationRef(pr.repo.installation),
	}
	if suite {
		s.requeued[run.suiteID] = true
		cs := s.suiteJSON(pr, run)
		cs["latest_check_runs_count"] = len(s.suiteRuns(run.suiteID))
		cs["check_runs_url"] = cs["url"].(string) + "/check-runs"
		cs["rerequestable"], cs["runs_rerequestable"] = true, true
		cs["head_commit"] = s.headCommitJSON(pr)
		body["check_suite"] = cs
		return marshal(body)
	}
	cr := s.checkRunJSON(pr.repo, run)
	if cr["external_id"] == nil {
		cr["external_id"] = "" // never null in deliveries
	}
	// A webhook's run carries its suite in full, and a details URL: the
	// App's page when the App gave none.
	cr["check_suite"] = s.suiteJSON(pr, run)
	cr["details_url"] = webHost + "/apps/" + appSlug
	cr["pull_requests"] = []any{s.prMinimalJSON(pr)}
	body["check_run"] = cr
	return marshal(body)
}

// SuiteStatus is the status of the App's check suite on a commit:
// "queued" after someone re-ran it, until the App writes a run in it;
// otherwise "completed" when all its runs are, else "in_progress". It is
// "" when the App has no run on the commit.
func (s *Server) SuiteStatus(repo, sha string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, cr := range s.checkRuns {
		if strings.EqualFold(cr.Repo, repo) && cr.HeadSHA == sha && cr.appID == s.appID {
			status, _ := s.suiteState(cr.suiteID)
			return status
		}
	}
	return ""
}

// suiteRuns are the runs of a suite. The caller holds s.mu.
func (s *Server) suiteRuns(id int64) []*CheckRun {
	var out []*CheckRun
	for _, cr := range s.checkRuns {
		if cr.suiteID == id {
			out = append(out, cr)
		}
	}
	return out
}

// suiteState is a suite's status and conclusion (nil until it completes).
// The caller holds s.mu.
func (s *Server) suiteState(id int64) (string, any) {
	if s.requeued[id] {
		return "queued", nil
	}
	rank := map[string]int{"success": 0, "skipped": 0, "neutral": 1, "stale": 2, "cancelled": 3, "timed_out": 4, "action_required": 5, "failure": 6}
	conclusion := ""
	for _, cr := range s.suiteRuns(id) {
		if cr.Status != "completed" {
			return "in_progress", nil
		}
		if conclusion == "" || rank[cr.Conclusion] > rank[conclusion] {
			conclusion = cr.Conclusion
		}
	}
	return "completed", conclusion
}

// suiteJSON is the App's check suite holding run, as check_run and
// check_suite deliveries carry it. The caller holds s.mu.
func (s *Server) suiteJSON(pr *PR, run *CheckRun) map[string]any {
	status, conclusion := s.suiteState(run.suiteID)
	before := pr.baseSHA
	if n := len(pr.commits); n >= 2 {
		before = pr.commits[n-2].sha
	}
	return map[string]any{
		"id": run.suiteID, "node_id": nodeID("CS_", run.suiteID), "head_branch": pr.HeadRef, "head_sha": run.HeadSHA,
		"status": status, "conclusion": conclusion,
		"url":    fmt.Sprintf("%s/repos/%s/check-suites/%d", s.api(), pr.repo.FullName(), run.suiteID),
		"before": before, "after": run.HeadSHA, "pull_requests": []any{s.prMinimalJSON(pr)}, "app": s.webhookAppJSON(),
		"created_at": ts(run.StartedAt), "updated_at": ts(s.now()),
	}
}

// prMinimalJSON is a pull request as check deliveries list it. The caller
// holds s.mu.
func (s *Server) prMinimalJSON(pr *PR) map[string]any {
	r := pr.repo
	repo := map[string]any{"id": r.id, "url": s.api() + "/repos/" + r.FullName(), "name": r.name}
	return map[string]any{
		"url": fmt.Sprintf("%s/repos/%s/pulls/%d", s.api(), r.FullName(), pr.Number), "id": pr.id, "number": pr.Number,
		"head": map[string]any{"ref": pr.HeadRef, "sha": pr.headSHA, "repo": repo},
		"base": map[string]any{"ref": pr.BaseRef, "sha": pr.baseSHA, "repo": repo},
	}
}

// headCommitJSON is a pull request's head commit as check_suite deliveries
// carry it. The caller holds s.mu.
func (s *Server) headCommitJSON(pr *PR) map[string]any {
	c := pr.commits[len(pr.commits)-1]
	return map[string]any{
		"id": c.sha, "tree_id": FakeSHA("tree", c.sha), "message": c.message, "timestamp": ts(pr.updated),
		"author": gitPerson(pr.Author), "committer": gitPerson(pr.Author),
	}
}

// webhookAppJSON is the App as check deliveries carry it. Their schema
// enumerates the events an App may subscribe to, and lags behind GitHub:
// merge_group, which the App subscribes to, is not among them yet, so it
// is left out here.
func (s *Server) webhookAppJSON() map[string]any {
	app := s.appJSON()
	var events []string
	for _, e := range app["events"].([]string) {
		if e != "merge_group" {
			events = append(events, e)
		}
	}
	app["events"] = events
	return app
}
