// Package serve assembles the running server from its parts: database and
// queue, GitHub client, policy engine, evaluator, webhook intake and HTTP
// routes. It is what `mergeguard serve` runs.
package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/mergeguard/mergeguard/internal/checkrun"
	"github.com/mergeguard/mergeguard/internal/coverageapi"
	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/evaluator"
	"github.com/mergeguard/mergeguard/internal/facts"
	"github.com/mergeguard/mergeguard/internal/githubapp"
	"github.com/mergeguard/mergeguard/internal/incident"
	"github.com/mergeguard/mergeguard/internal/intake"
	"github.com/mergeguard/mergeguard/internal/metrics"
	"github.com/mergeguard/mergeguard/internal/oidcauth"
	"github.com/mergeguard/mergeguard/internal/policy"
	"github.com/mergeguard/mergeguard/internal/policysource"
	"github.com/mergeguard/mergeguard/internal/prcommand"
	"github.com/mergeguard/mergeguard/internal/queue"
	"github.com/mergeguard/mergeguard/internal/server"
	"github.com/mergeguard/mergeguard/internal/settings"
	"github.com/mergeguard/mergeguard/internal/store"
	"github.com/mergeguard/mergeguard/internal/version"
	"github.com/mergeguard/mergeguard/internal/webhook"
	"github.com/mergeguard/mergeguard/policies"
)

// repoConfigPath is where a repository keeps its own configuration.
const repoConfigPath = ".github/mergeguard.yaml"

// Options are what tests may replace.
type Options struct {
	Log *slog.Logger
	// Listener, when set, is served instead of listening on Settings.Addr.
	Listener net.Listener
	// OnListening is called with the bound address once the server accepts
	// connections.
	OnListening func(net.Addr)
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// GitHubTransport is the network transport to GitHub (default when nil).
	GitHubTransport http.RoundTripper
	// PollInterval overrides how often SQLite workers look for jobs.
	PollInterval time.Duration
	// Policy replaces the bundled policies when set.
	Policy []policy.Module
	// OIDCClient fetches the OIDC issuer's keys (http.DefaultClient when
	// nil).
	OIDCClient *http.Client
	// Redelivery tunes the redelivery of missed webhook deliveries
	// (defaults when zero).
	Redelivery queue.RedeliveryConfig
	// MaxAttempts overrides how often a failing job is attempted (the
	// queue's default when zero).
	MaxAttempts int
	// ReplicaGrace overrides how long a replica must be gone before its
	// running jobs are taken over (store.ReplicaGrace when zero).
	ReplicaGrace time.Duration
	// OutagePoll overrides how often a job waiting for GitHub during an
	// outage looks again (the queue's default when zero).
	OutagePoll time.Duration
	// GitHubRetry overrides how requests that failed in passing are sent
	// again (the client's defaults when zero).
	GitHubRetry githubapp.RetryPolicy
}

// Run serves until ctx ends, then shuts down gracefully: it stops taking
// deliveries, lets running evaluations finish (up to the shutdown timeout),
// and closes the database.
func Run(ctx context.Context, s settings.Settings, opts Options) error {
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	m := metrics.New()

	db, err := store.Open(ctx, s.Database)
	if err != nil {
		return err
	}
	defer db.Close()
	if len(db.Tightened) > 0 {
		log.Warn("the SQLite database was open to every user on this host; mergeguard made it private to its owner", "files", db.Tightened)
	}
	if err := queue.Migrate(ctx, db); err != nil {
		return err
	}
	// On PostgreSQL this server is one of possibly several replicas; its
	// membership lets the others take over its jobs if it dies.
	replica, err := db.JoinReplicas(ctx, log)
	if err != nil {
		return err
	}
	defer replica.Close()
	var replicaNumber int32
	var membership queue.Replica
	if replica != nil {
		replicaNumber, membership = replica.Number(), replica
	}
	if db.Driver == store.SQLite {
		release, err := store.LockSQLite(s.Database.Path)
		if err != nil {
			return err
		}
		defer release()
		n, err := queue.ResumeInterrupted(ctx, db, now())
		if err != nil {
			return err
		}
		if n > 0 {
			log.Warn("resumed evaluations interrupted when the previous server process stopped", "jobs", n)
		}
		if n, err := (store.CheckRuns{DB: db}).ReleaseAllLeases(ctx); err != nil {
			return err
		} else if n > 0 {
			log.Warn("freed check runs the previous server process was publishing when it stopped", "check_runs", n)
		}
	}

	bundled := opts.Policy
	if bundled == nil {
		if bundled, err = policies.Modules(); err != nil {
			return err
		}
	}
	workers, err := policyWorkers(s.Policy, log, m)
	if err != nil {
		return err
	}
	if workers != nil {
		defer workers.Close()
	}
	source, err := policysource.New(ctx, policysource.Options{
		Repo: s.PolicyRepo, Layout: policysource.Layout{Dir: s.PolicyDir}, RepoConfigPath: repoConfigPath,
		Bundled: bundled, Timeout: s.PolicyTimeout, Workers: workers, DefaultMode: s.Mode,
		LastGood: store.PolicyState{DB: db, Now: now}, Now: now, Log: log,
		OnCompile: func(_ string, ok bool) {
			result := "ok"
			if !ok {
				result = "broken"
			}
			m.PolicyCompilations.WithLabelValues(result).Inc()
		},
	})
	if err != nil {
		return err
	}

	gh, err := githubapp.New(githubapp.Config{
		AppID: s.AppID, PrivateKey: s.PrivateKey, BaseURL: s.GitHubAPIURL,
		Metrics: m, Transport: opts.GitHubTransport, Now: now, Log: log,
		MaxWait: s.GitHub.MaxWait, MaxConcurrent: s.GitHub.MaxConcurrency, Retry: opts.GitHubRetry,
	})
	if err != nil {
		return err
	}
	checkRuns := store.CheckRuns{DB: db, Now: now, Replica: replicaNumber}
	ev := &evaluator.Service{
		GitHub:          func(id int64) evaluator.GitHub { return gh.Installation(id) },
		Policies:        source,
		Publisher:       &checkrun.Publisher{State: checkRuns, Name: s.CheckName, AppID: s.AppID, Now: now},
		PolicyPublisher: &checkrun.Publisher{State: checkRuns, Name: s.CheckName + "/policy", AppID: s.AppID, Now: now, Exclusive: true},
		DefaultMode:     s.Mode,
		MaxAnnotations:  s.MaxAnnotations,
		RepoConfigPath:  repoConfigPath,
		Freezes:         freezes{db},
		Coverage:        coverageSource{db},
		Audit:           auditTrail{db},
		Now:             now,
		Log:             log,
		Metrics:         m,
	}
	commands := &incident.Commands{
		DB: db, GitHub: func(id int64) incident.GitHub { return gh.Installation(id) },
		Policies: source, Now: now, Log: log, Prefix: s.CommandPrefix,
	}
	prCommands := &prcommand.Handler{
		DB: db, GitHub: func(id int64) prcommand.GitHub { return gh.Installation(id) },
		Policies: source, Now: now, Log: log,
	}
	cmds := comments{incident: commands, pr: prCommands, prefix: s.CommandPrefix}
	q, err := queue.New(db, queue.EvaluatorFunc(func(ctx context.Context, r queue.Request) error {
		owner, name, _ := strings.Cut(r.Repo, "/")
		return answerReruns(ctx, db, ev, evaluator.Request{
			PR:      decision.PullRequest{Installation: decision.InstallationID(r.InstallationID), Repo: decision.Repo{Owner: owner, Name: name}, Number: r.Number},
			RepoID:  r.RepoID,
			Trigger: facts.Trigger{Event: r.Event, Action: r.Action}, DeliveryID: r.DeliveryID,
		})
	}), queue.Config{
		Workers: s.Workers, CoalesceQuiet: s.CoalesceQuiet, CoalesceMax: s.CoalesceMax,
		PollInterval: opts.PollInterval, Logger: log, Metrics: m, Now: now, StubRiverTime: opts.Now != nil,
		Lister:      lister{gh},
		MergeGroups: mergeGroups{ev},
		Comments:    cmds,
		Redelivery:  redelivery(gh, opts.Redelivery),
		MaxAttempts: opts.MaxAttempts,
		OutageMax:   s.GitHub.OutageMax, OutagePoll: opts.OutagePoll,
		Replica: membership, ReplicaGrace: opts.ReplicaGrace,
		OnGiveUp:  failureReport{app: gh, publisher: ev.Publisher, mode: s.Mode, prefix: s.CommandPrefix}.publish,
		Retention: store.Retention{Deliveries: store.DefaultRetention.Deliveries, State: store.DefaultRetention.State, Audit: s.AuditRetention},
	})
	if err != nil {
		return err
	}
	ev.Scheduler = q
	commands.Sweeps = q
	prCommands.Evaluations = evaluations{q: q, ev: ev, prefix: s.CommandPrefix}
	wh, err := webhook.New(s.WebhookSecret, q, log, m, now, webhook.WithPushObserver(func(ctx context.Context, p webhook.Push) error {
		return pushed(ctx, db, source, q, now(), p)
	}), webhook.WithReceipts(receipts(db)), webhook.WithCommandPrefix(s.CommandPrefix),
		webhook.WithLimits(intake.Limits{BufferBytes: s.Intake.BufferBytes, ConnectionsPerAddress: s.Intake.ConnectionsPerAddress}))
	if err != nil {
		return err
	}
	var verifier coverageapi.Verifier
	if s.Coverage.OIDCIssuer != "" {
		v, err := oidcauth.New(oidcauth.Config{Issuer: s.Coverage.OIDCIssuer, Audience: s.Coverage.OIDCAudience, Now: now, HTTPClient: opts.OIDCClient})
		if err != nil {
			return err
		}
		verifier = v
	}
	srv := server.New(server.Config{
		Webhook: wh,
		Coverage: &coverageapi.Handler{
			DB: db, Verifier: verifier, Tokens: s.Coverage.Tokens, Heads: heads{gh, db},
			Reevaluate: reevaluate(q, db, now), MaxBytes: s.Coverage.MaxBytes, Now: now, Log: log,
		},
		Ready: []server.Check{
			{Name: "database", Check: db.Ping},
			{Name: "policies", Check: func(context.Context) error {
				if !source.Bundled().OK() || len(source.Bundled().Policy.Rules()) == 0 {
					return errors.New("the bundled policy did not compile")
				}
				return nil
			}},
		},
		Metrics:               m,
		Log:                   log,
		SeparateMetrics:       s.MetricsAddr != "",
		ConnectionsPerAddress: s.Intake.ConnectionsPerAddress,
	})

	ln := opts.Listener
	if ln == nil {
		if ln, err = net.Listen("tcp", s.Addr); err != nil {
			return fmt.Errorf("listen on %s (%s): %w", s.Addr, settings.EnvAddr, err)
		}
	}
	// River treats the end of Start's context as a hard stop that cancels
	// running jobs; shutdown is q.Stop's job, after the HTTP server stops.
	if err := q.Start(context.WithoutCancel(ctx)); err != nil {
		ln.Close()
		return fmt.Errorf("start job queue: %w", err)
	}
	log.Info("mergeguard is serving",
		"version", version.String(), "addr", ln.Addr().String(), "database", s.Database.Driver, "replica", replicaNumber,
		"github_api", s.GitHubAPIURL, "app_id", s.AppID, "check_name", s.CheckName, "mode", s.Mode,
		"bundled_policy", source.Bundled().Label, "rules", len(source.Bundled().Policy.Rules()),
		"policy_repo", s.PolicyRepo+"/"+s.PolicyDir)
	if opts.OnListening != nil {
		opts.OnListening(ln.Addr())
	}

	metricsErr := make(chan error, 1)
	if s.MetricsAddr != "" {
		mln, err := net.Listen("tcp", s.MetricsAddr)
		if err != nil {
			ln.Close()
			_ = q.Stop(context.WithoutCancel(ctx))
			return fmt.Errorf("listen on %s (%s): %w", s.MetricsAddr, settings.EnvMetricsAddr, err)
		}
		log.Info("serving metrics separately", "addr", mln.Addr().String())
		go func() { metricsErr <- srv.ServeMetrics(ctx, mln) }()
	} else {
		metricsErr <- nil
	}

	serveErr := srv.Serve(ctx, ln)
	log.Info("shutting down: waiting for running evaluations", "timeout", s.ShutdownTimeout.String())
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.ShutdownTimeout)
	defer cancel()
	stopErr := q.Stop(stopCtx)
	log.Info("mergeguard stopped")
	return errors.Join(serveErr, <-metricsErr, stopErr)
}

// policyWorkers runs every policy (the organizations' and the bundled one)
// in worker processes within the memory limit, so that no policy can take
// the server down. Without workers (tests only) policies run in the server.
func policyWorkers(s settings.Policy, log *slog.Logger, m *metrics.Metrics) (*policy.Workers, error) {
	if s.PolicyWorkers == 0 {
		return nil, nil
	}
	return policy.NewWorkers(policy.WorkerConfig{
		Size: s.PolicyWorkers, Memory: s.PolicyMemory, Log: log,
		OnStop: func(st policy.WorkerStop) { m.PolicyWorkerStops.WithLabelValues(st.Reason).Inc() },
	})
}
