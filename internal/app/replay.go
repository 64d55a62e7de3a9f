package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/mergeguard/mergeguard/internal/evaluator"
	"github.com/mergeguard/mergeguard/internal/facts"
	"github.com/mergeguard/mergeguard/internal/localpr"
	"github.com/mergeguard/mergeguard/internal/policy"
	policysource "github.com/mergeguard/mergeguard/internal/policy/source"
	"github.com/mergeguard/mergeguard/internal/replay"
	"github.com/mergeguard/mergeguard/internal/settings"
	"github.com/mergeguard/mergeguard/internal/store"
	"github.com/mergeguard/mergeguard/policies"
)

// Replay is what `mergeguard replay` compares: a proposed policy against
// the one in use (or the verdicts given then), on the inputs the server
// stored or on eval directories.
type Replay struct {
	// PolicyDir (and ConfigFile) are the proposed policy; BasePolicyDir,
	// when set, the policy in use. Without it the comparison is with the
	// recorded verdicts (stored inputs), or with the bundled policy
	// (directories).
	PolicyDir, ConfigFile, BasePolicyDir string
	// PolicyFolder is the folder of the policy in a checkout ("" for the
	// server's setting).
	PolicyFolder string
	// Dirs are eval directories; without them the server's database is read.
	Dirs []string
	// Since, Owner, Repo and Limit select the stored inputs.
	Since       time.Time
	Owner, Repo string
	Limit       int
	// At is input.time for directories, which carry none.
	At time.Time
}

// ReplayResult is the report and what could not be replayed.
type ReplayResult struct {
	Report replay.Report
	// Missing counts pull requests evaluated in the window without a
	// stored input (database only).
	Missing store.InputStats
	// Policy and Base label the two sides.
	Policy, Base string
	// Notices are the settings' and the policies' warnings.
	Notices []string
}

// RunReplay compiles the policies in the policy workers, reads the inputs
// and replays them.
func RunReplay(ctx context.Context, getenv func(string) string, r Replay) (ReplayResult, error) {
	var res ReplayResult
	env, err := settings.PolicyFromEnv(getenv)
	if err != nil {
		return res, err
	}
	res.Notices = append(res.Notices, env.Notices...)
	if r.PolicyFolder == "" {
		r.PolicyFolder = env.PolicyDir
	}
	bundled, err := policies.Modules()
	if err != nil {
		return res, err
	}
	// As many workers as the server runs: replay is many evaluations.
	workers, err := policy.NewWorkers(policy.WorkerConfig{Size: env.PolicyWorkers, Memory: env.PolicyMemory})
	if err != nil {
		return res, err
	}
	defer workers.Close()
	layout := policysource.Layout{Dir: r.PolicyFolder}
	local := func(dir, config string) policysource.Local {
		return policysource.Local{PolicyDir: dir, ConfigFile: config, Layout: layout, Bundled: bundled,
			Timeout: env.PolicyTimeout, Workers: workers, DefaultMode: env.Mode}
	}
	proposed, err := local(r.PolicyDir, r.ConfigFile).Resolve(ctx)
	if err != nil {
		return res, fmt.Errorf("the proposed policy: %w", err)
	}
	res.Policy, res.Notices = proposed.Label, append(res.Notices, proposed.Notices...)
	opts := replay.Options{New: proposed.Engine, Parallel: 2 * env.PolicyWorkers, Fields: facts.FieldPaths()}
	if opts.Reads, err = policyReads(r.PolicyDir, layout, bundled); err != nil {
		return res, err
	}
	if r.BasePolicyDir != "" || len(r.Dirs) > 0 {
		base, err := local(r.BasePolicyDir, "").Resolve(ctx)
		if err != nil {
			return res, fmt.Errorf("the policy in use: %w", err)
		}
		opts.Old, res.Base = base.Engine, base.Label
	} else {
		res.Base = "the verdicts recorded then"
	}

	var inputs []replay.Input
	if len(r.Dirs) > 0 {
		inputs, err = dirInputs(ctx, r.Dirs, r.At, proposed.Config.Teams())
	} else {
		inputs, res.Missing, err = storedInputs(ctx, getenv, r)
	}
	if err != nil {
		return res, err
	}
	res.Report, err = replay.Run(ctx, inputs, opts)
	return res, err
}

// policyReads says which input fields the proposed policy's Rego mentions.
func policyReads(dir string, layout policysource.Layout, bundled []policy.Module) (func(string) bool, error) {
	var sources [][]byte
	for _, m := range bundled {
		sources = append(sources, m.Source)
	}
	if dir != "" {
		folder, err := policysource.ReadDir(dir, layout)
		if err != nil {
			return nil, err
		}
		for p, b := range folder.Files {
			if path.Ext(p) == ".rego" {
				sources = append(sources, b)
			}
		}
	}
	return replay.ReadsIn(sources), nil
}

// dirInputs builds the input documents of eval directories.
func dirInputs(ctx context.Context, dirs []string, at time.Time, teams []string) ([]replay.Input, error) {
	var out []replay.Input
	for _, dir := range dirs {
		src, err := localpr.Load(ctx, dir, at)
		if err != nil {
			return nil, err
		}
		localpr.SelectTeams(dir, &src, teams)
		in := facts.Build(src)
		doc, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("%s: encode the input document: %w", dir, err)
		}
		repo := ""
		if src.PullRequest.BaseRepo != nil {
			repo = src.PullRequest.BaseRepo.FullName
		}
		out = append(out, replay.Input{Repo: repo, Number: src.PullRequest.Number, HeadSHA: src.PullRequest.Head.SHA, Document: doc})
	}
	return out, nil
}

// storedInputs reads the latest stored input of each pull request from the
// server's database.
func storedInputs(ctx context.Context, getenv func(string) string, r Replay) ([]replay.Input, store.InputStats, error) {
	admin, err := OpenDatabase(ctx, getenv)
	if err != nil {
		return nil, store.InputStats{}, err
	}
	defer admin.Close()
	stored, missing, err := latestInputs(ctx, admin.DB, store.InputFilter{Since: r.Since, Owner: r.Owner, Repo: r.Repo, Limit: r.Limit})
	if err != nil {
		return nil, missing, fmt.Errorf("read the stored inputs (is MERGEGUARD_DATABASE_URL the server's database?): %w", err)
	}
	out := make([]replay.Input, len(stored))
	for i, s := range stored {
		out[i] = replay.Input{Repo: s.Repo, Number: s.Number, HeadSHA: s.HeadSHA, Document: s.Document, Recorded: s.Rules}
	}
	return out, missing, nil
}

// latestInputs reads, in one transaction, the latest stored input of each
// pull request the filter selects and how many it selects have none.
func latestInputs(ctx context.Context, db *store.DB, f store.InputFilter) ([]store.StoredInput, store.InputStats, error) {
	var stored []store.StoredInput
	var missing store.InputStats
	err := db.InTx(ctx, func(tx store.Tx) error {
		var err error
		if stored, err = store.LatestInputs(ctx, tx, f); err != nil {
			return err
		}
		missing, err = store.MissingInputs(ctx, tx, f)
		return err
	})
	return stored, missing, err
}

// ParseSince reads --since: days (14d), a duration (36h), a date or an
// RFC 3339 time.
func ParseSince(s string, now time.Time) (time.Time, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		if _, err := fmt.Sscanf(days, "%d", &n); err == nil && n >= 0 && fmt.Sprint(n) == days {
			return now.AddDate(0, 0, -n), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	return time.Time{}, errors.New("give days (14d), a duration (36h), a date (2026-11-27) or a time (2026-11-27T15:00:00Z)")
}

// policyReplays replays a policy repository pull request's policy on the
// organization's stored inputs, for the mergeguard/policy check.
type policyReplays struct {
	db       *store.DB
	source   *policysource.Source
	days     int
	max      int
	now      func() time.Time
	parallel int
}

func (p policyReplays) Replay(ctx context.Context, gh policysource.GitHub, owner string, proposed *policysource.Version) (evaluator.Replayed, error) {
	out := evaluator.Replayed{Days: p.days, Max: p.max}
	current, err := p.source.InUse(ctx, gh, owner)
	if err != nil {
		return out, err
	}
	oldEngine, err := p.source.OrgEngine(ctx, current)
	if err != nil {
		return out, err
	}
	newEngine, err := p.source.OrgEngine(ctx, proposed)
	if err != nil {
		return out, err
	}
	stored, missing, err := latestInputs(ctx, p.db, store.InputFilter{Owner: owner, Since: p.now().AddDate(0, 0, -p.days), Limit: p.max})
	if err != nil {
		return out, err
	}
	inputs := make([]replay.Input, len(stored))
	for i, s := range stored {
		inputs[i] = replay.Input{Repo: s.Repo, Number: s.Number, HeadSHA: s.HeadSHA, Document: s.Document}
	}
	out.Missing = missing.TooLarge + missing.NotStored
	out.Report, err = replay.Run(ctx, inputs, replay.Options{
		Old: oldEngine, New: newEngine, Parallel: p.parallel,
		Fields: facts.FieldPaths(), Reads: replay.ReadsIn(proposed.Sources()),
	})
	return out, err
}

// webURL is GitHub's web address for an API address: github.com for
// api.github.com, the host for GitHub Enterprise Server's /api/v3/.
func webURL(api string) string {
	u, err := url.Parse(api)
	if err != nil || u.Host == "" {
		return "https://github.com/"
	}
	if u.Host == "api.github.com" {
		return "https://github.com/"
	}
	return u.Scheme + "://" + u.Host + "/"
}
