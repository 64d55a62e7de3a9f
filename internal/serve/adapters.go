package serve

import (
	"context"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/mergeguard/mergeguard/internal/evaluator"
	"github.com/mergeguard/mergeguard/internal/facts"
	"github.com/mergeguard/mergeguard/internal/githubapp"
	"github.com/mergeguard/mergeguard/internal/incident"
	"github.com/mergeguard/mergeguard/internal/policysource"
	"github.com/mergeguard/mergeguard/internal/queue"
	"github.com/mergeguard/mergeguard/internal/store"
	"github.com/mergeguard/mergeguard/internal/webhook"
)

// The adapters below connect the parts: each part declares the small
// interface it needs, and these satisfy them with the others.

// lister reads open pull requests and repositories for the queue's sweeps.
type lister struct{ app *githubapp.App }

func (l lister) OpenPullRequests(ctx context.Context, installationID int64, repo string) ([]int, error) {
	owner, name, _ := strings.Cut(repo, "/")
	prs, err := l.app.Installation(installationID).OpenPullRequests(ctx, owner, name)
	if err != nil {
		return nil, err
	}
	out := make([]int, len(prs))
	for i, p := range prs {
		out[i] = p.Number
	}
	return out, nil
}

func (l lister) Repositories(ctx context.Context, installationID int64) ([]queue.Repository, error) {
	repos, err := l.app.Installation(installationID).Repositories(ctx)
	if err != nil {
		return nil, err
	}
	var out []queue.Repository
	for _, r := range repos {
		if !r.Archived { // archived repositories take no merges
			out = append(out, queue.Repository{ID: r.ID, FullName: r.Owner + "/" + r.Name})
		}
	}
	return out, nil
}

// mergeGroups hands merge group jobs to the evaluator.
type mergeGroups struct{ ev *evaluator.Service }

func (m mergeGroups) EvaluateMergeGroup(ctx context.Context, r queue.MergeGroupRequest) error {
	owner, name, _ := strings.Cut(r.Repo, "/")
	return m.ev.EvaluateMergeGroup(ctx, evaluator.Request{
		InstallationID: r.InstallationID, RepoID: r.RepoID, Owner: owner, Repo: name, Number: r.Number,
		Trigger: facts.Trigger{Event: "merge_group", Action: "checks_requested"}, DeliveryID: r.DeliveryID,
		MergeGroup: &facts.MergeGroup{HeadSHA: r.HeadSHA, HeadRef: r.HeadRef, BaseSHA: r.BaseSHA, BaseRef: r.BaseRef},
	})
}

// comments hands command jobs to the incident commands.
type comments struct{ c *incident.Commands }

func (c comments) HandleComment(ctx context.Context, cm queue.Comment) error {
	owner, name, _ := strings.Cut(cm.Repo, "/")
	return c.c.Handle(ctx, incident.Comment{
		InstallationID: cm.InstallationID, Owner: owner, Repo: name, Number: cm.Number,
		CommentID: cm.CommentID, URL: cm.URL, Author: cm.Author, Body: cm.Body,
	})
}

// freezes reads incident freezes for the evaluator.
type freezes struct{ db *store.DB }

func (f freezes) Freezes(ctx context.Context, owner string, now time.Time) ([]facts.Freeze, error) {
	var out []facts.Freeze
	err := f.db.InTx(ctx, func(tx store.Tx) error {
		fs, err := store.Freezes(ctx, tx, owner, now)
		for _, fr := range fs {
			out = append(out, facts.NewFreeze(fr.ID, fr.Reason, fr.Repositories, fr.CreatedBy, fr.StartsAt, fr.End()))
		}
		return err
	})
	return out, err
}

// pushed acts on a push: the policy source refreshes what it cached, and
// the pull requests the pushed policy or configuration judges are evaluated
// again, so a new freeze window or a tightened rule shows at once.
func pushed(ctx context.Context, db *store.DB, source *policysource.Source, q *queue.Queue, now time.Time, p webhook.Push) error {
	source.Pushed(p.Owner, p.Repo, p.Branch, p.DefaultBranch, p.Files)
	switch {
	case p.InstallationID == 0 || p.After == "" || strings.Trim(p.After, "0") == "":
		return nil // a branch deleted, or not an App delivery
	case strings.EqualFold(p.Repo, source.PolicyRepo()) && p.Branch == p.DefaultBranch && touches(p.Files, path.Dir(source.Layout().ConfigPath())):
		return db.InTx(ctx, func(tx store.Tx) error {
			return q.SweepOrgTx(ctx, tx, p.InstallationID, p.Owner, "policy-"+p.After, "policy changed")
		})
	case touches(p.Files, repoConfigPath):
		return q.ScheduleSweep(ctx, p.InstallationID, p.RepoID, p.Owner+"/"+p.Repo, now, fmt.Sprintf("configuration changed on %s", p.Branch))
	}
	return nil
}

// touches reports whether any of files is prefix or under it.
func touches(files []string, prefix string) bool {
	for _, f := range files {
		if f == prefix || strings.HasPrefix(f, strings.TrimSuffix(prefix, "/")+"/") {
			return true
		}
	}
	return false
}

var _ incident.Sweeper = (*queue.Queue)(nil)
var _ evaluator.Scheduler = (*queue.Queue)(nil)
