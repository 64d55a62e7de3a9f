package ui

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

const timeLayout = "Mon 2 Jan 2006 15:04 MST"

func (h *Handler) funcs() template.FuncMap {
	return template.FuncMap{
		"short": shortSHA,
		"githubPR": func(repo string, number int) string {
			return fmt.Sprintf("%s/%s/pull/%d", strings.TrimRight(h.cfg.GitHubURL, "/"), escapeRepo(repo), number)
		},
		"prPage": func(repo string, number int) string {
			return fmt.Sprintf("/ui/%s/pull/%d", escapeRepo(repo), number)
		},
		"iso": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	}
}

func shortSHA(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

// evaluationData is the evaluation page.
type evaluationData struct {
	PR       PullRequest
	Current  Evaluation
	Facts    InputFacts // of Current
	Shown    string     // when Current was published, in the organization's zone
	History  []historyRow
	Override []overrideRow
	Holds    []holdRow
	Zone     string
}

type historyRow struct {
	When, SHA, Conclusion, Policy, Trigger string
	Changes                                []string
	Current                                bool
}

type overrideRow struct{ Rule, SHA, Actor, When, Reason string }

type holdRow struct{ Actor, When, Reason, Released string }

func (h *Handler) evaluation(w http.ResponseWriter, r *http.Request) {
	s, ok := h.requireSession(w, r)
	if !ok {
		return
	}
	owner, name := r.PathValue("owner"), r.PathValue("repo")
	number, err := strconv.Atoi(r.PathValue("number"))
	if !validName(owner) || !validName(name) || err != nil || number <= 0 {
		h.fail(w, r, &s, http.StatusNotFound, "There is no such pull request.", nil)
		return
	}
	if !h.requireMember(w, r, s, owner) {
		return
	}
	repo := owner + "/" + name
	// A repository the user cannot read looks the same as one that does
	// not exist, so the page does not reveal private names.
	notFound := "There is no record of " + repo + "#" + strconv.Itoa(number) + ", or you cannot read " + repo + "."
	readable, err := h.canRead(r.Context(), s, repo)
	if err != nil {
		h.fail(w, r, &s, http.StatusBadGateway, "GitHub could not say whether you can read "+repo+". Try again in a minute.", err)
		return
	}
	if !readable {
		h.fail(w, r, &s, http.StatusNotFound, notFound, nil)
		return
	}
	pr, err := h.cfg.Reader.PullRequest(r.Context(), repo, number)
	if errors.Is(err, ErrNotFound) || err == nil && len(pr.Evaluations) == 0 {
		h.fail(w, r, &s, http.StatusNotFound, notFound, nil)
		return
	}
	if err != nil {
		h.fail(w, r, &s, http.StatusInternalServerError, "The records of "+repo+"#"+strconv.Itoa(number)+" could not be read.", err)
		return
	}
	loc := h.location(r.Context(), owner)
	at := func(t time.Time) string { return t.In(loc).Format(timeLayout) }
	cur := 0
	if sha := r.URL.Query().Get("sha"); sha != "" {
		cur = slices.IndexFunc(pr.Evaluations, func(e Evaluation) bool { return strings.HasPrefix(e.HeadSHA, sha) })
		if cur < 0 {
			h.fail(w, r, &s, http.StatusNotFound, "There is no evaluation of "+shortSHA(sha)+" in "+repo+"#"+strconv.Itoa(number)+".", nil)
			return
		}
	}
	d := evaluationData{PR: pr, Current: pr.Evaluations[cur], Shown: at(pr.Evaluations[cur].At), Zone: loc.String()}
	d.Facts = h.inputFacts(r, repo, number, d.Current)
	for i, e := range pr.Evaluations {
		row := historyRow{When: at(e.At), SHA: e.HeadSHA, Conclusion: e.Conclusion, Policy: e.Policy, Trigger: e.Trigger, Current: i == cur}
		if i+1 < len(pr.Evaluations) {
			row.Changes = Changes(pr.Evaluations[i+1], e)
		} else {
			row.Changes = []string{"first evaluation"}
		}
		d.History = append(d.History, row)
	}
	for _, o := range pr.Overrides {
		d.Override = append(d.Override, overrideRow{Rule: o.Rule, SHA: o.HeadSHA, Actor: o.Actor, When: at(o.At), Reason: o.Reason})
	}
	for _, hd := range pr.Holds {
		row := holdRow{Actor: hd.Actor, When: at(hd.At), Reason: hd.Reason, Released: "still holding"}
		if !hd.ReleasedAt.IsZero() {
			row.Released = "released by " + hd.ReleasedBy + ", " + at(hd.ReleasedAt)
		}
		d.Holds = append(d.Holds, row)
	}
	h.render(w, r, &s, http.StatusOK, "evaluation", fmt.Sprintf("%s#%d", repo, number), d)
}

// inputFacts reads the facts of the evaluation shown. A stored input that
// cannot be read does not fail the page: the verdict and findings are
// still worth showing, and a sentence says what is missing.
func (h *Handler) inputFacts(r *http.Request, repo string, number int, e Evaluation) InputFacts {
	in, err := h.cfg.Reader.Input(r.Context(), repo, number, e.ID)
	switch {
	case errors.Is(err, ErrInputTooLarge):
		return InputFacts{Missing: missingTooLarge}
	case errors.Is(err, ErrNotFound):
		return InputFacts{Missing: missingOld}
	case err != nil:
		h.cfg.Logger.WarnContext(r.Context(), "web view: read an evaluation's stored input", "repo", repo, "number", number, "err", err)
		return InputFacts{Missing: missingUnread}
	}
	return BuildInputFacts(in, e.Rules)
}

// Changes says what differs from one evaluation of a pull request to the
// next: the head, the policy, each rule's outcome and the conclusion.
func Changes(prev, cur Evaluation) []string {
	var out []string
	if prev.HeadSHA != cur.HeadSHA {
		out = append(out, fmt.Sprintf("new head %s (was %s)", shortSHA(cur.HeadSHA), shortSHA(prev.HeadSHA)))
	}
	if prev.Policy != cur.Policy {
		out = append(out, fmt.Sprintf("policy %s (was %s)", shortSHA(cur.Policy), shortSHA(prev.Policy)))
	}
	before := map[string]string{}
	for _, r := range prev.Rules {
		before[r.ID] = r.Outcome
	}
	seen := map[string]bool{}
	for _, r := range cur.Rules {
		seen[r.ID] = true
		switch was, ok := before[r.ID]; {
		case !ok:
			out = append(out, fmt.Sprintf("%s: %s (new rule)", r.ID, r.Outcome))
		case was != r.Outcome:
			out = append(out, fmt.Sprintf("%s: %s (was %s)", r.ID, r.Outcome, was))
		}
	}
	var gone []string
	for id := range before {
		if !seen[id] {
			gone = append(gone, id)
		}
	}
	sort.Strings(gone)
	for _, id := range gone {
		out = append(out, id+": no longer evaluated")
	}
	if prev.Conclusion != cur.Conclusion {
		out = append(out, fmt.Sprintf("conclusion %s (was %s)", cur.Conclusion, prev.Conclusion))
	}
	if len(out) == 0 {
		out = append(out, "nothing changed (re-run: "+cur.Trigger+")")
	}
	return out
}

// freezesData is the freezes page.
type freezesData struct {
	Zone    string
	Now     string
	Active  []freezeRow
	Planned []freezeRow
	Days    []dayRow
}

type freezeRow struct {
	ID                        int64
	Where, Reason, By, Starts string
	Until                     string
}

type dayRow struct {
	Date    string
	Today   bool
	Entries []string
}

// calendarDays is how far ahead the calendar looks.
const calendarDays = 14

func (h *Handler) freezes(w http.ResponseWriter, r *http.Request) {
	s, ok := h.requireSession(w, r)
	if !ok {
		return
	}
	owner := r.PathValue("owner")
	if !validName(owner) {
		h.fail(w, r, &s, http.StatusNotFound, "There is no such organization.", nil)
		return
	}
	if !h.requireMember(w, r, s, owner) {
		return
	}
	ctx := r.Context()
	now := h.cfg.Now()
	loc := h.location(ctx, owner)
	at := func(t time.Time) string { return t.In(loc).Format(timeLayout) }
	all, err := h.cfg.Reader.Freezes(ctx, owner, now)
	if err != nil {
		h.fail(w, r, &s, http.StatusInternalServerError, "The freezes of "+owner+" could not be read.", err)
		return
	}
	var visible []Freeze
	for _, f := range all {
		// A freeze of named repositories shows only the ones this user can
		// read, and not at all when that is none.
		if len(f.Repositories) > 0 {
			var keep []string
			for _, repo := range f.Repositories {
				full := repo
				if !strings.Contains(full, "/") {
					full = owner + "/" + repo
				}
				ok, err := h.canRead(ctx, s, full)
				if err != nil {
					h.fail(w, r, &s, http.StatusBadGateway, "GitHub could not say which repositories you can read. Try again in a minute.", err)
					return
				}
				if ok {
					keep = append(keep, full)
				}
			}
			if len(keep) == 0 {
				continue
			}
			f.Repositories = keep
		}
		visible = append(visible, f)
	}
	d := freezesData{Zone: loc.String(), Now: at(now)}
	for _, f := range visible {
		row := freezeRow{ID: f.ID, Where: "all repositories of " + owner, Reason: f.Reason, By: f.CreatedBy, Starts: at(f.StartsAt), Until: "until someone ends it"}
		if len(f.Repositories) > 0 {
			row.Where = strings.Join(f.Repositories, ", ")
		}
		if !f.Ends.IsZero() {
			row.Until = at(f.Ends)
		}
		if f.StartsAt.After(now) {
			d.Planned = append(d.Planned, row)
		} else {
			d.Active = append(d.Active, row)
		}
	}
	var windows []Window
	start := midnight(now.In(loc))
	end := start.AddDate(0, 0, calendarDays)
	if h.cfg.Schedule != nil {
		if windows, err = h.cfg.Schedule.Windows(ctx, owner, start, end); err != nil {
			h.fail(w, r, &s, http.StatusInternalServerError, "The freeze windows of "+owner+" could not be read.", err)
			return
		}
	}
	d.Days = calendar(start, calendarDays, loc, windows, visible)
	h.render(w, r, &s, http.StatusOK, "freezes", "Freezes in "+owner, d)
}

func midnight(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

// calendar lays out days from start (a midnight in loc): on each, the
// configured freeze windows and the incident freezes in effect during it,
// with times in loc.
func calendar(start time.Time, days int, loc *time.Location, windows []Window, freezes []Freeze) []dayRow {
	clock := func(t time.Time) string { return t.In(loc).Format("15:04") }
	span := func(from, to, dayStart, dayEnd time.Time) string {
		a, b := "00:00", "24:00"
		if from.After(dayStart) {
			a = clock(from)
		}
		if !to.IsZero() && to.Before(dayEnd) {
			b = clock(to)
		}
		if a == "00:00" && b == "24:00" {
			return "all day"
		}
		return a + "–" + b
	}
	label := map[string]string{WindowWeekly: "Weekly freeze", WindowDates: "Freeze dates"}
	var out []dayRow
	for i := range days {
		// AddDate, not 24-hour steps: days around a clock change are 23 or
		// 25 hours long.
		dayStart := start.AddDate(0, 0, i)
		dayEnd := start.AddDate(0, 0, i+1)
		row := dayRow{Date: dayStart.Format("Mon 2 Jan"), Today: i == 0}
		for _, w := range windows {
			if w.Start.Before(dayEnd) && w.End.After(dayStart) {
				kind := label[w.Kind]
				if kind == "" {
					kind = "Freeze"
				}
				if w.Reason != "" {
					kind += " (" + w.Reason + ")"
				}
				row.Entries = append(row.Entries, kind+": "+span(w.Start, w.End, dayStart, dayEnd))
			}
		}
		for _, f := range freezes {
			if f.StartsAt.Before(dayEnd) && (f.Ends.IsZero() || f.Ends.After(dayStart)) {
				row.Entries = append(row.Entries, fmt.Sprintf("Incident freeze %d: %s", f.ID, span(f.StartsAt, f.Ends, dayStart, dayEnd)))
			}
		}
		out = append(out, row)
	}
	return out
}

// timelineData is the timeline page.
type timelineData struct {
	Zone    string
	Form    timelineForm
	Kinds   []kindOption
	Rows    []TimelineEntry
	Times   []string
	Export  string
	Limited bool
}

type timelineForm struct {
	Repo, Since, Until string
	Bypasses           bool
}

type kindOption struct {
	Kind    string
	Checked bool
}

// Timeline limits: the page shows a screenful, an export what `mergeguard
// audit` would.
const (
	pageRows   = 500
	exportRows = 10000
)

// defaultKinds leaves evaluations out: there are many, and an incident
// review asks first what people did.
var defaultKinds = []string{"merge", "override", "hold", "unhold", "freeze.start", "freeze.end", "policy.change"}

// formTime is the datetime-local input's format.
const formTime = "2006-01-02T15:04"

func (h *Handler) timeline(w http.ResponseWriter, r *http.Request) {
	s, ok := h.requireSession(w, r)
	if !ok {
		return
	}
	owner := r.PathValue("owner")
	if !validName(owner) {
		h.fail(w, r, &s, http.StatusNotFound, "There is no such organization.", nil)
		return
	}
	if !h.requireMember(w, r, s, owner) {
		return
	}
	ctx := r.Context()
	now := h.cfg.Now()
	loc := h.location(ctx, owner)
	q := r.URL.Query()
	format := q.Get("format")
	if format != "" && format != "csv" && format != "json" {
		h.fail(w, r, &s, http.StatusBadRequest, "format: use csv or json.", nil)
		return
	}
	f, form, err := parseTimelineFilter(q, owner, now, loc)
	if err != nil {
		h.fail(w, r, &s, http.StatusBadRequest, err.Error(), nil)
		return
	}
	f.Limit = pageRows
	if format != "" {
		f.Limit = exportRows
	}
	if f.Repo != "" {
		ok, err := h.canRead(ctx, s, f.Repo)
		if err != nil {
			h.fail(w, r, &s, http.StatusBadGateway, "GitHub could not say whether you can read "+f.Repo+". Try again in a minute.", err)
			return
		}
		if !ok {
			h.fail(w, r, &s, http.StatusNotFound, "There is no repository "+f.Repo+", or you cannot read it.", nil)
			return
		}
	}
	entries, err := h.cfg.Reader.Timeline(ctx, f)
	if err != nil {
		h.fail(w, r, &s, http.StatusInternalServerError, "The timeline of "+owner+" could not be read.", err)
		return
	}
	rows := make([]TimelineEntry, 0, len(entries))
	for _, e := range entries {
		// Organization-wide entries (freezes, policy changes) are for every
		// member; the rest only for those who can read the repository.
		if e.Repo != "" {
			ok, err := h.canRead(ctx, s, e.Repo)
			if err != nil {
				h.fail(w, r, &s, http.StatusBadGateway, "GitHub could not say which repositories you can read. Try again in a minute.", err)
				return
			}
			if !ok {
				continue
			}
		}
		rows = append(rows, e)
	}
	switch format {
	case "json":
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Disposition", `attachment; filename="`+owner+`-timeline.json"`)
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rows); err != nil {
			h.cfg.Logger.WarnContext(ctx, "web view: write the timeline export", "err", err)
		}
		return
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+owner+`-timeline.csv"`)
		if err := WriteCSV(w, rows); err != nil {
			h.cfg.Logger.WarnContext(ctx, "web view: write the timeline export", "err", err)
		}
		return
	}
	d := timelineData{Zone: loc.String(), Form: form, Rows: rows, Limited: len(entries) >= pageRows}
	for _, e := range rows {
		d.Times = append(d.Times, e.At.In(loc).Format(timeLayout))
	}
	for _, k := range Kinds {
		d.Kinds = append(d.Kinds, kindOption{Kind: k, Checked: slices.Contains(f.Kinds, k)})
	}
	export := url.Values{}
	for k, v := range q {
		export[k] = v
	}
	export.Del("format")
	d.Export = r.URL.Path + "?" + export.Encode()
	h.render(w, r, &s, http.StatusOK, "timeline", "Timeline of "+owner, d)
}

// parseTimelineFilter reads the timeline's query: repo (a name in the
// organization or owner/name), since and until (the form's local time in
// the organization's zone, or RFC 3339), kind (repeated) and bypasses.
// With no since, the last 24 hours are shown.
func parseTimelineFilter(q url.Values, owner string, now time.Time, loc *time.Location) (TimelineFilter, timelineForm, error) {
	f := TimelineFilter{Owner: owner, Until: now, Since: now.Add(-24 * time.Hour), Bypasses: q.Get("bypasses") != ""}
	form := timelineForm{Bypasses: f.Bypasses}
	if repo := strings.TrimSpace(q.Get("repo")); repo != "" {
		o, name, ok := strings.Cut(repo, "/")
		if !ok {
			o, name = owner, repo
		}
		if !strings.EqualFold(o, owner) || !validName(name) {
			return f, form, fmt.Errorf("repo %q: give a repository of %s", repo, owner)
		}
		f.Repo, form.Repo = owner+"/"+name, name
	}
	parse := func(field, v string) (time.Time, error) {
		if t, err := time.ParseInLocation(formTime, v, loc); err == nil {
			return t, nil
		}
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			return t, nil
		}
		return time.Time{}, fmt.Errorf("%s %q: give a time such as 2026-11-27T14:32", field, v)
	}
	var err error
	if v := q.Get("until"); v != "" {
		if f.Until, err = parse("until", v); err != nil {
			return f, form, err
		}
		f.Since = f.Until.Add(-24 * time.Hour)
	}
	if v := q.Get("since"); v != "" {
		if f.Since, err = parse("since", v); err != nil {
			return f, form, err
		}
	}
	if !f.Since.Before(f.Until) {
		return f, form, errors.New("since must be before until")
	}
	form.Since, form.Until = f.Since.In(loc).Format(formTime), f.Until.In(loc).Format(formTime)
	if kinds := q["kind"]; len(kinds) > 0 {
		for _, k := range kinds {
			if !slices.Contains(Kinds, k) {
				return f, form, fmt.Errorf("kind %q: use one of %s", k, strings.Join(Kinds, ", "))
			}
		}
		f.Kinds = kinds
	} else {
		f.Kinds = slices.Clone(defaultKinds)
	}
	return f, form, nil
}

// csvColumns are `mergeguard audit --format csv`'s.
var csvColumns = []string{"time", "kind", "repo", "pr", "actor", "rule", "head_sha", "result", "reason", "details"}

// WriteCSV writes entries in `mergeguard audit --format csv`'s columns.
func WriteCSV(w io.Writer, entries []TimelineEntry) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvColumns); err != nil {
		return fmt.Errorf("write CSV: %w", err)
	}
	for _, e := range entries {
		pr := ""
		if e.Number > 0 {
			pr = strconv.Itoa(e.Number)
		}
		row := []string{e.At.UTC().Format(time.RFC3339), e.Kind, e.Repo, pr, e.Actor, e.Rule, shortSHA12(e.SHA), e.Result, e.Reason, summary(e)}
		for i, v := range row {
			// A spreadsheet runs a cell starting with = + - @ as a formula;
			// reasons are people's free text.
			if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
				row[i] = "'" + v
			}
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("write CSV: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write CSV: %w", err)
	}
	return nil
}

func shortSHA12(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

// summary is what the columns do not show: the rules an evaluation did not
// pass, and why it ran.
func summary(e TimelineEntry) string {
	var parts []string
	switch rules := e.Details["rules"].(type) {
	case map[string]string:
		for id, o := range rules {
			if o != "pass" && o != "skip" {
				parts = append(parts, id+"="+o)
			}
		}
	case map[string]any:
		for id, o := range rules {
			if s, _ := o.(string); s != "pass" && s != "skip" {
				parts = append(parts, fmt.Sprintf("%s=%v", id, o))
			}
		}
	}
	sort.Strings(parts)
	if t, ok := e.Details["trigger"].(string); ok {
		parts = append(parts, "trigger="+t)
	}
	return strings.Join(parts, " ")
}
