// Package checkrun publishes verdicts as the one check run mergeguard owns on
// a head commit: created once, updated in place afterwards, annotations sent
// in GitHub's batches of 50 and never twice. When several open pull requests
// share a head commit, the check run shows the strictest of their verdicts.
package checkrun

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/report"
)

// BatchSize is GitHub's limit of annotations per create or update request.
const BatchSize = 50

// GitHub is what the publisher needs from GitHub.
type GitHub interface {
	FindCheckRun(ctx context.Context, owner, repo, sha, name string, appID int64) (int64, error)
	CreateCheckRun(ctx context.Context, owner, repo string, w decision.CheckRunWrite) (int64, error)
	UpdateCheckRun(ctx context.Context, owner, repo string, id int64, w decision.CheckRunWrite) error
}

// State remembers what each check run shows and the verdicts behind it
// (the store's CheckRuns in production).
type State interface {
	Get(ctx context.Context, k decision.CheckRunKey) (decision.CheckRunRecord, error)
	Put(ctx context.Context, k decision.CheckRunKey, rec decision.CheckRunRecord) error
	Claim(ctx context.Context, k decision.CheckRunKey, owner string, until time.Time) (bool, error)
	Release(ctx context.Context, k decision.CheckRunKey, owner string) error
	SaveVerdict(ctx context.Context, repoID int64, sha string, v decision.HeadVerdict) error
	Verdicts(ctx context.Context, repoID int64, sha string) ([]decision.HeadVerdict, error)
	WithdrawVerdicts(ctx context.Context, repoID int64, pr int, keep string) ([]string, error)
}

// Publisher writes check runs.
type Publisher struct {
	State State
	// Name is the check run's name (MERGEGUARD_CHECK_NAME).
	Name  string
	AppID int64
	Now   func() time.Time
	// Exclusive check runs show one pull request's verdict only (the policy
	// repository's own check): no verdicts are kept or combined.
	Exclusive bool
	// DetailsURL, when set, gives the page the check run's "Details" link
	// opens for a target (the web view's evaluation page); without it
	// GitHub links to its own page of the check.
	DetailsURL func(t Target) string
}

// Target is the commit a check run belongs to.
type Target struct {
	// Head is the pull request and the commit the check run is on (a
	// merge group's commit for a merge queue entry).
	Head    decision.Head
	RepoID  int64
	BaseRef string
	// Rerun is set when someone asked to see the check again: the check
	// run is written afresh (a new completed_at, and a line saying when and
	// at whose request) even if it would show the same thing.
	Rerun *decision.Rerun
}

// Result says what Publish did.
type Result struct {
	CheckRunID int64
	// Unchanged is true when the check run already showed this output and
	// nothing was written.
	Unchanged bool
	// Rerun is true when the check run was written only to answer a
	// re-run request: it shows the same verdict, re-checked.
	Rerun   bool
	Created bool
	// AnnotationsSent counts annotations sent in this call.
	AnnotationsSent int
}

// leaseFor bounds how long one publication may hold a commit's check run.
const leaseFor = 2 * time.Minute

// BusyError means another evaluation is publishing on the same commit (a
// pull request sharing the head); the job should try again shortly.
type BusyError struct {
	SHA string
	At  time.Time
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("another evaluation is publishing the check run on %s", decision.ShortSHA(e.SHA))
}

// RetryAt is when to try again.
func (e *BusyError) RetryAt() time.Time { return e.At }

// Busy tells the queue the wait is for another evaluation, not GitHub.
func (e *BusyError) Busy() bool { return true }

// Publish records pull request t.Head.Number's verdict on t.Head.SHA and writes the
// commit's check run. The pull request's verdicts on its earlier heads are
// withdrawn, and those commits' check runs refreshed if other pull requests
// still share them.
func (p *Publisher) Publish(ctx context.Context, gh GitHub, t Target, v decision.Verdict, out report.Output) (Result, error) {
	key := p.key(t)
	owner, err := p.claim(ctx, key)
	if err != nil {
		return Result{}, err
	}
	defer p.State.Release(context.WithoutCancel(ctx), key, owner)
	if p.Exclusive {
		return p.write(ctx, gh, t, key, v.Conclusion, out)
	}

	encoded, err := json.Marshal(out)
	if err != nil {
		return Result{}, err
	}
	err = p.State.SaveVerdict(ctx, t.RepoID, t.Head.SHA, decision.HeadVerdict{
		PR: t.Head.Number, BaseRef: t.BaseRef, Conclusion: string(v.Conclusion), Output: string(encoded),
	})
	if err != nil {
		return Result{}, err
	}
	res, err := p.writeShared(ctx, gh, t, key)
	if err != nil {
		return res, err
	}
	if err := p.withdraw(ctx, gh, t, t.Head.SHA); err != nil {
		return res, err
	}
	return res, nil
}

// Withdraw removes a closed pull request's verdicts and refreshes the check
// runs of commits it shared with other open pull requests.
func (p *Publisher) Withdraw(ctx context.Context, gh GitHub, t Target) error {
	return p.withdraw(ctx, gh, t, "")
}

func (p *Publisher) withdraw(ctx context.Context, gh GitHub, t Target, keep string) error {
	shas, err := p.State.WithdrawVerdicts(ctx, t.RepoID, t.Head.Number, keep)
	if err != nil {
		return err
	}
	for _, sha := range shas {
		other := t
		other.Head.SHA, other.Rerun = sha, nil
		if err := p.refresh(ctx, gh, other); err != nil {
			return fmt.Errorf("refresh the check run on %s after #%d left it: %w", decision.ShortSHA(sha), t.Head.Number, err)
		}
	}
	return nil
}

// refresh rewrites a commit's check run from the verdicts stored for it,
// without evaluating anything. A commit no open pull request has as its head
// any more is left alone.
func (p *Publisher) refresh(ctx context.Context, gh GitHub, t Target) error {
	vs, err := p.State.Verdicts(ctx, t.RepoID, t.Head.SHA)
	if err != nil || len(vs) == 0 {
		return err
	}
	key := p.key(t)
	owner, err := p.claim(ctx, key)
	if err != nil {
		return err
	}
	defer p.State.Release(context.WithoutCancel(ctx), key, owner)
	_, err = p.writeShared(ctx, gh, t, key)
	return err
}

func (p *Publisher) key(t Target) decision.CheckRunKey {
	return decision.CheckRunKey{RepoID: t.RepoID, HeadSHA: t.Head.SHA, Name: p.Name}
}

func (p *Publisher) claim(ctx context.Context, key decision.CheckRunKey) (string, error) {
	var b [12]byte
	_, _ = rand.Read(b[:])
	owner := hex.EncodeToString(b[:])
	ok, err := p.State.Claim(ctx, key, owner, p.Now().Add(leaseFor))
	if err != nil {
		return "", err
	}
	if !ok {
		return "", &BusyError{SHA: key.HeadSHA, At: p.Now().Add(2 * time.Second)}
	}
	return owner, nil
}

// writeShared writes the check run from every open pull request's verdict on
// the commit.
func (p *Publisher) writeShared(ctx context.Context, gh GitHub, t Target, key decision.CheckRunKey) (Result, error) {
	stored, err := p.State.Verdicts(ctx, t.RepoID, t.Head.SHA)
	if err != nil {
		return Result{}, err
	}
	vs := make([]report.PRVerdict, 0, len(stored))
	for _, s := range stored {
		v := report.PRVerdict{Number: s.PR, Base: s.BaseRef, Conclusion: decision.Conclusion(s.Conclusion)}
		if err := json.Unmarshal([]byte(s.Output), &v.Output); err != nil {
			return Result{}, fmt.Errorf("read stored verdict of #%d: %w", s.PR, err)
		}
		vs = append(vs, v)
	}
	conclusion, out := report.Shared(vs)
	return p.write(ctx, gh, t, key, conclusion, out)
}
