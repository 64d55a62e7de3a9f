package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mergeguard/mergeguard/internal/text"
)

// Evaluation is the record of one published evaluation.
type Evaluation struct {
	// ID is the row's key, set when read back (RecordEvaluation makes a
	// new one).
	ID         string
	At         time.Time
	Repo       string // owner/name
	Number     int
	HeadSHA    string
	Policy     string
	Trigger    string // event.action, "sweep", "command", …
	Conclusion string
	// Rules maps each rule to its outcome (pass, fail, overridden, …).
	Rules      map[string]string
	Duration   time.Duration
	DeliveryID string
	// Findings are what the rules reported, in the verdict's order. At most
	// MaxFindings are recorded, each message clipped to MaxFindingMessage
	// bytes; FindingsOmitted counts those left out.
	Findings        []Finding
	FindingsOmitted int
	// Input is the input document the evaluation was made from (JSON),
	// stored compressed when it fits MaxStoredInput; InputVersion is its
	// input.version.
	Input        []byte
	InputVersion int
}

// Finding is one thing a rule reported in an evaluation.
type Finding struct {
	Rule    string `json:"rule"`
	Message string `json:"message"`
	Path    string `json:"path,omitempty"`
	Line    int    `json:"line,omitempty"`
	// Warning is true for a finding that does not block.
	Warning bool `json:"warning,omitempty"`
}

// Bounds of the findings recorded with one evaluation: a rule that reports
// thousands of lines must not make every evaluation row megabytes long.
// The check run keeps them all.
const (
	MaxFindings       = 200
	MaxFindingMessage = 1000
)

// findingsRecord is the findings column's JSON.
type findingsRecord struct {
	Items   []Finding `json:"items"`
	Omitted int       `json:"omitted,omitempty"`
}

// encodeFindings bounds and encodes the findings; "" when there are none.
func encodeFindings(fs []Finding, omitted int) (string, error) {
	if len(fs) == 0 && omitted == 0 {
		return "", nil
	}
	rec := findingsRecord{Omitted: omitted}
	for i, f := range fs {
		if i == MaxFindings {
			rec.Omitted += len(fs) - MaxFindings
			break
		}
		f.Message = text.Clip(f.Message, MaxFindingMessage)
		f.Path = text.Clip(f.Path, MaxFindingMessage)
		rec.Items = append(rec.Items, f)
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return "", fmt.Errorf("encode findings: %w", err)
	}
	return string(b), nil
}

// decodeFindings reads the findings column.
func decodeFindings(raw string) ([]Finding, int, error) {
	if raw == "" {
		return nil, 0, nil
	}
	var rec findingsRecord
	if err := json.Unmarshal([]byte(raw), &rec); err != nil {
		return nil, 0, fmt.Errorf("findings: %w", err)
	}
	return rec.Items, rec.Omitted, nil
}

// RecordEvaluation appends an evaluation to the audit trail.
func RecordEvaluation(ctx context.Context, tx Tx, e Evaluation) error {
	id, err := newID()
	if err != nil {
		return err
	}
	rules, err := json.Marshal(e.Rules)
	if err != nil {
		return err
	}
	input, err := encodeInput(e.Input)
	if err != nil {
		return fmt.Errorf("compress the input of %s#%d: %w", e.Repo, e.Number, err)
	}
	findings, err := encodeFindings(e.Findings, e.FindingsOmitted)
	if err != nil {
		return fmt.Errorf("record the evaluation of %s#%d: %w", e.Repo, e.Number, err)
	}
	owner, _, _ := strings.Cut(e.Repo, "/")
	_, err = tx.Exec(ctx, `INSERT INTO evaluations (id, at, owner, repo, pr_number, head_sha, policy, trigger, conclusion, rules, duration_ms, delivery_id, findings,
			input, input_version, input_size)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
		id, e.At.UnixMilli(), strings.ToLower(owner), strings.ToLower(e.Repo), e.Number, e.HeadSHA, e.Policy, e.Trigger, e.Conclusion,
		string(rules), e.Duration.Milliseconds(), e.DeliveryID, findings, input, e.InputVersion, len(e.Input))
	if err != nil {
		return fmt.Errorf("record the evaluation of %s#%d: %w", e.Repo, e.Number, err)
	}
	return nil
}

// LatestConclusion is the conclusion of the last evaluation of a commit of
// a pull request, or "" when there is none.
func LatestConclusion(ctx context.Context, tx Tx, repo string, number int, sha string) (string, error) {
	var c string
	err := tx.Query(ctx, `SELECT conclusion FROM evaluations WHERE repo = $1 AND pr_number = $2 AND head_sha = $3
		ORDER BY at DESC, id DESC LIMIT 1`, []any{strings.ToLower(repo), number, sha}, func(r Row) error { return r.Scan(&c) })
	if err != nil {
		return "", fmt.Errorf("read the last evaluation of %s#%d: %w", repo, number, err)
	}
	return c, nil
}

// AuditFilter selects audit records. Zero fields do not filter.
type AuditFilter struct {
	Owner  string
	Repo   string // owner/name
	Number int
	Since  time.Time
	Until  time.Time
	// Rule keeps evaluations where the rule did not pass and actions about
	// the rule (overrides).
	Rule string
	// Bypasses keeps only what let a change past a rule: overrides,
	// evaluations with an overridden rule, and merges whose head commit
	// had not passed.
	Bypasses bool
	// Limit bounds the records returned, newest kept (default 10,000).
	Limit int
}

// AuditRecord is one line of the audit trail: an evaluation or an action.
type AuditRecord struct {
	At     time.Time      `json:"at"`
	Kind   string         `json:"kind"` // evaluation, override, hold, unhold, merge, freeze.start, freeze.end
	Repo   string         `json:"repo,omitempty"`
	Number int            `json:"pr,omitempty"`
	Actor  string         `json:"actor,omitempty"`
	Rule   string         `json:"rule,omitempty"`
	SHA    string         `json:"head_sha,omitempty"`
	Result string         `json:"result,omitempty"`
	Reason string         `json:"reason,omitempty"`
	Detail map[string]any `json:"details,omitempty"`
}

// AuditTrail returns the matching evaluations and actions, oldest first.
func AuditTrail(ctx context.Context, tx Tx, f AuditFilter) ([]AuditRecord, error) {
	if f.Limit <= 0 {
		f.Limit = 10000
	}
	until := f.Until
	if until.IsZero() {
		until = time.Unix(1<<40, 0)
	}
	out, err := auditEvaluations(ctx, tx, f, until)
	if err != nil {
		return nil, err
	}
	entries, err := auditEntries(ctx, tx, f, until, nil)
	if err != nil {
		return nil, err
	}
	out = append(out, entries...)
	slices.SortStableFunc(out, func(a, b AuditRecord) int { return a.At.Compare(b.At) })
	if len(out) > f.Limit {
		out = out[len(out)-f.Limit:]
	}
	return out, nil
}

// auditEvaluations reads the evaluations the filter selects as records,
// newest first, at most Limit of them.
func auditEvaluations(ctx context.Context, tx Tx, f AuditFilter, until time.Time) ([]AuditRecord, error) {
	// Rows are read newest first until Limit of them pass the filters that
	// are applied here, not in SQL: a LIMIT before them would drop older
	// matches.
	where, args := auditWhere(f, until)
	var out []AuditRecord
	err := tx.Query(ctx, `SELECT at, repo, pr_number, head_sha, policy, trigger, conclusion, rules, duration_ms FROM evaluations WHERE `+where+
		` ORDER BY at DESC, id DESC`, args, func(r Row) error {
		var at, ms int64
		var rec AuditRecord
		var policy, trigger, rules string
		if err := r.Scan(&at, &rec.Repo, &rec.Number, &rec.SHA, &policy, &trigger, &rec.Result, &rules, &ms); err != nil {
			return err
		}
		var outcomes map[string]string
		if err := json.Unmarshal([]byte(rules), &outcomes); err != nil {
			return fmt.Errorf("evaluation of %s#%d: %w", rec.Repo, rec.Number, err)
		}
		rec.At, rec.Kind = time.UnixMilli(at).UTC(), "evaluation"
		rec.Detail = map[string]any{"policy": policy, "trigger": trigger, "duration_ms": ms, "rules": outcomes}
		if keepEvaluation(f, outcomes) {
			out = append(out, rec)
		}
		if len(out) >= f.Limit {
			return errEnoughRows
		}
		return nil
	})
	if err != nil && !errors.Is(err, errEnoughRows) {
		return nil, fmt.Errorf("read evaluations: %w", err)
	}
	return out, nil
}

// errEnoughRows stops reading rows once Limit of them are kept.
var errEnoughRows = errors.New("enough rows")

func auditWhere(f AuditFilter, until time.Time) (string, []any) {
	conds := []string{"at >= $1", "at < $2"}
	args := []any{f.Since.UnixMilli(), until.UnixMilli()}
	add := func(cond string, v any) {
		args = append(args, v)
		conds = append(conds, fmt.Sprintf(cond, len(args)))
	}
	if f.Owner != "" {
		add("owner = $%d", strings.ToLower(f.Owner))
	}
	if f.Repo != "" {
		add("repo = $%d", strings.ToLower(f.Repo))
	}
	if f.Number > 0 {
		add("pr_number = $%d", f.Number)
	}
	return strings.Join(conds, " AND "), args
}

func keepEvaluation(f AuditFilter, outcomes map[string]string) bool {
	if f.Rule != "" {
		if o, ok := outcomes[f.Rule]; !ok || o == "pass" || o == "skip" {
			return false
		}
	}
	if f.Bypasses {
		for _, o := range outcomes {
			if o == "overridden" {
				return true
			}
		}
		return false
	}
	return true
}

// auditEntries reads the audit log (actions people took) as records,
// newest first, only the listed actions when any are. The log names pull
// requests in its subject ("acme/shop#42").
func auditEntries(ctx context.Context, tx Tx, f AuditFilter, until time.Time, actions []string) ([]AuditRecord, error) {
	conds := []string{"at >= $1", "at < $2"}
	args := []any{f.Since.UnixMilli(), until.UnixMilli()}
	if f.Owner != "" {
		args = append(args, strings.ToLower(f.Owner))
		conds = append(conds, fmt.Sprintf("owner = $%d", len(args)))
	}
	if len(actions) > 0 {
		marks := make([]string, len(actions))
		for i, a := range actions {
			args = append(args, a)
			marks[i] = fmt.Sprintf("$%d", len(args))
		}
		conds = append(conds, "action IN ("+strings.Join(marks, ", ")+")")
	}
	var out []AuditRecord
	err := tx.Query(ctx, `SELECT at, repo, actor, action, subject, details FROM audit_log WHERE `+strings.Join(conds, " AND ")+
		` ORDER BY at DESC, id DESC`, args, func(r Row) error {
		rec, err := scanAuditEntry(r)
		if err != nil {
			return err
		}
		if keepEntry(f, rec) {
			out = append(out, rec)
		}
		if len(out) >= f.Limit {
			return errEnoughRows
		}
		return nil
	})
	if err != nil && !errors.Is(err, errEnoughRows) {
		return nil, fmt.Errorf("read the audit log: %w", err)
	}
	return out, nil
}

func keepEntry(f AuditFilter, rec AuditRecord) bool {
	// Organization-wide actions (freezes) concern every repository.
	if f.Repo != "" && rec.Repo != "" && !strings.EqualFold(rec.Repo, f.Repo) {
		return false
	}
	if f.Number > 0 && rec.Number != f.Number {
		return false
	}
	if f.Rule != "" && rec.Rule != f.Rule && !strings.HasPrefix(rec.Kind, "freeze.") {
		return false
	}
	if f.Bypasses {
		return rec.Kind == "override" || rec.Kind == "merge" && rec.Result != "success"
	}
	return true
}

// scanAuditEntry reads one audit_log row (at, repo, actor, action, subject,
// details) as a record. The log names pull requests in its subject
// ("acme/shop#42"); the details carry the rule, head, reason and result.
func scanAuditEntry(r Row) (AuditRecord, error) {
	var at int64
	var repo, actor, action, subject, details string
	if err := r.Scan(&at, &repo, &actor, &action, &subject, &details); err != nil {
		return AuditRecord{}, err
	}
	rec := AuditRecord{At: time.UnixMilli(at).UTC(), Kind: action, Repo: repo, Actor: actor}
	if err := json.Unmarshal([]byte(details), &rec.Detail); err != nil {
		return AuditRecord{}, fmt.Errorf("audit entry %s: %w", action, err)
	}
	if _, num, ok := strings.Cut(subject, "#"); ok {
		fmt.Sscan(num, &rec.Number)
	}
	rec.Rule, _ = rec.Detail["rule"].(string)
	rec.SHA, _ = rec.Detail["head_sha"].(string)
	rec.Reason, _ = rec.Detail["reason"].(string)
	rec.Result, _ = rec.Detail["conclusion"].(string)
	return rec, nil
}
