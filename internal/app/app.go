// Package app is mergeguard's one composition root: it builds the object
// graph of the server (database and queue, GitHub client, policy engine,
// evaluator, webhook intake and HTTP routes) and what each CLI command
// needs, and releases them. It does no work of its own; the packages that
// do the work do not wire.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/mergeguard/mergeguard/internal/checkrun"
	"github.com/mergeguard/mergeguard/internal/comments"
	"github.com/mergeguard/mergeguard/internal/evaluator"
	"github.com/mergeguard/mergeguard/internal/facts"
	"github.com/mergeguard/mergeguard/internal/githubapp"
	"github.com/mergeguard/mergeguard/internal/incident"
	"github.com/mergeguard/mergeguard/internal/intake"
	"github.com/mergeguard/mergeguard/internal/metrics"
	"github.com/mergeguard/mergeguard/internal/migration"
	"github.com/mergeguard/mergeguard/internal/oidcauth"
	"github.com/mergeguard/mergeguard/internal/policy"
	policysource "github.com/mergeguard/mergeguard/internal/policy/source"
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

// Server is the running server's object graph, built by New from the
// settings: it owns what it opened (database, replica membership, SQLite
// lock, policy workers) and releases it in Close. Building does no work;
// Run serves.
type Server struct {
	settings settings.Settings
	opts     Options
	log      *slog.Logger
	now      func() time.Time

	db      *store.DB
	replica int32
	source  *policysource.Source
	queue   *queue.Queue
	http    *server.Server
	// closers release what New opened, in reverse order.
	closers []func()
}

// Run builds the server, serves until ctx ends, then shuts down gracefully:
// it stops taking deliveries, lets running evaluations finish (up to the
// shutdown timeout), and closes the database.
func Run(ctx context.Context, s settings.Settings, opts Options) error {
	srv, err := New(ctx, s, opts)
	if err != nil {
		return err
	}
	defer srv.Close()
	return srv.Run(ctx)
}

// New opens the database and builds every part of the server. On error,
// what it opened is released.
func New(ctx context.Context, s settings.Settings, opts Options) (*Server, error) {
	a := &Server{settings: s, opts: opts, log: opts.Log, now: opts.Now}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.now == nil {
		a.now = time.Now
	}
	if err := a.build(ctx); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// Close releases what New opened. It is safe to call more than once.
func (a *Server) Close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
	a.closers = nil
}

func (a *Server) onClose(f func()) { a.closers = append(a.closers, f) }

// build wires the parts. The queue's workers need the evaluator and the
// commands, which insert work themselves: they get the insert-only queue
// client, built first, so the worker queue can be built last and nothing is
// changed after it is built.
func (a *Server) build(ctx context.Context) error {
	s, log, now := a.settings, a.log, a.now
	opts := a.opts
	m := metrics.New()

	db, membership, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	source, err := a.policies(ctx, m)
	if err != nil {
		return err
	}
	a.source = source

	gh, err := githubapp.New(githubapp.Config{
		AppID: s.AppID, PrivateKey: s.PrivateKey, BaseURL: s.GitHubAPIURL,
		Metrics: m, Transport: opts.GitHubTransport, Now: now, Log: log,
		MaxWait: s.GitHub.MaxWait, MaxConcurrent: s.GitHub.MaxConcurrency, Retry: opts.GitHubRetry,
	})
	if err != nil {
		return err
	}
	maxAttempts := opts.MaxAttempts
	jobs, err := queue.NewClient(db, queue.ClientConfig{
		Now: now, CoalesceQuiet: s.CoalesceQuiet, MaxAttempts: maxAttempts, StubRiverTime: opts.Now != nil, Logger: log,
	})
	if err != nil {
		return err
	}
	web, err := a.webView(db, gh, source)
	if err != nil {
		return err
	}
	checkRuns := store.CheckRuns{DB: db, Now: now, Replica: a.replica}
	ev := &evaluator.Service{
		GitHub:          func(id int64) evaluator.GitHub { return gh.Installation(id) },
		Policies:        source,
		Publisher:       &checkrun.Publisher{State: checkRuns, Name: s.CheckName, AppID: s.AppID, Now: now, DetailsURL: detailsURL(web)},
		PolicyPublisher: &checkrun.Publisher{State: checkRuns, Name: s.CheckName + "/policy", AppID: s.AppID, Now: now, Exclusive: true},
		DefaultMode:     s.Mode,
		MaxAnnotations:  s.MaxAnnotations,
		RepoConfigPath:  repoConfigPath,
		Freezes:         freezes{db},
		Coverage:        coverageSource{db},
		Audit:           auditTrail{db},
		ReviewRequests:  reviewRequests{db},
		Scheduler:       jobs,
		WebURL:          webURL(s.GitHubAPIURL),
		Now:             now,
		Log:             log,
		Metrics:         m,
	}
	if s.ReplayMax > 0 {
		ev.Replays = policyReplays{db: db, source: source, days: s.ReplayDays, max: s.ReplayMax, now: now, parallel: 2 * s.PolicyWorkers}
	}
	commands := &incident.Commands{
		DB: db, GitHub: func(id int64) incident.GitHub { return gh.Installation(id) },
		Policies: source, Now: now, Log: log, Sweeps: jobs,
	}
	prCommands := &prcommand.Handler{
		DB: db, GitHub: func(id int64) prcommand.GitHub { return gh.Installation(id) },
		Policies: source, Now: now, Log: log,
		Evaluations: evaluations{jobs: jobs, ev: ev, prefix: s.CommandPrefix},
	}
	failure := evaluator.FailureReport{
		GitHub: ev.GitHub, Publisher: ev.Publisher, Mode: s.Mode, Prefix: s.CommandPrefix,
	}
	q, err := queue.New(db, queue.EvaluatorFunc(func(ctx context.Context, r queue.Request) error {
		return ev.EvaluateAnswering(ctx, reruns{db}, evaluation(r))
	}), queue.Config{
		Workers: s.Workers, CoalesceQuiet: s.CoalesceQuiet, CoalesceMax: s.CoalesceMax,
		PollInterval: opts.PollInterval, Logger: log, Metrics: m, Now: now, StubRiverTime: opts.Now != nil,
		Lister:      lister{gh},
		MergeGroups: mergeGroups{ev},
		Comments:    comments.Dispatcher{Incident: commands, PR: prCommands, Prefix: s.CommandPrefix},
		Redelivery:  redelivery(gh, opts.Redelivery),
		MaxAttempts: maxAttempts,
		OutageMax:   s.GitHub.OutageMax, OutagePoll: opts.OutagePoll,
		Replica: membership, ReplicaGrace: opts.ReplicaGrace,
		OnGiveUp: func(ctx context.Context, r queue.Request, cause error) error {
			return failure.Publish(ctx, evaluation(r), cause)
		},
		Retention: store.Retention{Deliveries: store.DefaultRetention.Deliveries, State: store.DefaultRetention.State, Audit: s.AuditRetention},
	})
	if err != nil {
		return err
	}
	a.queue = q

	pushes := evaluator.Pushes{Policies: source, Sweeps: jobs, RepoConfigPath: repoConfigPath, Now: now}
	deployed := evaluator.Deployed{
		GitHub: func(id int64) policysource.GitHub { return gh.Installation(id) }, Policies: source, Sweeps: jobs, Now: now,
	}
	wh, err := webhook.New(s.WebhookSecret, jobs, log, m, now, webhook.WithPushObserver(pushes.Pushed), webhook.WithReceipts(receipts(db)), webhook.WithCommandPrefix(s.CommandPrefix),
		webhook.WithDeploymentObserver(deployed.DeploymentStatus), webhook.WithPermissionsObserver(deployed.PermissionsAccepted),
		webhook.WithLimits(intake.Limits{BufferBytes: s.Intake.BufferBytes, ConnectionsPerAddress: s.Intake.ConnectionsPerAddress}))
	if err != nil {
		return err
	}
	var verifier server.CoverageVerifier
	if s.Coverage.OIDCIssuer != "" {
		v, err := oidcauth.New(oidcauth.Config{Issuer: s.Coverage.OIDCIssuer, Audience: s.Coverage.OIDCAudience, Now: now, HTTPClient: opts.OIDCClient})
		if err != nil {
			return err
		}
		verifier = v
	}
	// The migration parser's module compiles in about two seconds of CPU:
	// start it now, in the background, so no webhook pays for it; /readyz
	// waits for it, and an evaluation that comes first waits too.
	migration.Warm()
	var webHandler http.Handler
	if web != nil {
		webHandler = web
	}
	a.http = server.New(server.Config{
		Webhook: wh,
		UI:      webHandler,
		Coverage: &server.CoverageHandler{
			DB: db, Verifier: verifier, Tokens: s.Coverage.Tokens, Heads: heads{gh, db},
			Reevaluate: reevaluate(jobs, db, now), MaxBytes: s.Coverage.MaxBytes, Now: now, Log: log,
		},
		Freezes:   freezesAPI(s, db, jobs, now, log),
		PagerDuty: pagerDutyReceiver(s, db, jobs, now, log),
		Ready: []server.Check{
			{Name: "database", Check: db.Ping},
			{Name: "policies", Check: func(context.Context) error {
				if !source.Bundled().OK() || len(source.Bundled().Policy.Rules()) == 0 {
					return errors.New("the bundled policy did not compile")
				}
				return nil
			}},
			{Name: "migration_parser", Check: migration.Ready},
		},
		Metrics:               m,
		Log:                   log,
		SeparateMetrics:       s.MetricsAddr != "",
		ConnectionsPerAddress: s.Intake.ConnectionsPerAddress,
	})
	return nil
}

// freezesAPI is the freezes API, served when freeze tokens are configured.
func freezesAPI(s settings.Settings, db *store.DB, jobs incident.Sweeper, now func() time.Time, log *slog.Logger) http.Handler {
	if len(s.Incidents.FreezeTokens) == 0 {
		return nil
	}
	return &server.FreezesHandler{DB: db, Sweeps: jobs, Tokens: s.Incidents.FreezeTokens, Now: now, Log: log}
}

// pagerDutyReceiver is the PagerDuty receiver, served when it is
// configured.
func pagerDutyReceiver(s settings.Settings, db *store.DB, jobs incident.Sweeper, now func() time.Time, log *slog.Logger) http.Handler {
	pd := s.Incidents.PagerDuty
	if pd == nil {
		return nil
	}
	return &server.PagerDutyHandler{DB: db, Sweeps: jobs, Owner: pd.Owner, Config: pd.Config, Now: now, Log: log}
}

// openStore opens and migrates the database and, on PostgreSQL, joins the
// replicas (membership lets the others take over this server's jobs if it
// dies). On SQLite it takes the database's lock and resumes what the
// previous process left running.
func (a *Server) openStore(ctx context.Context) (*store.DB, queue.Replica, error) {
	log, now := a.log, a.now
	db, err := store.Open(ctx, a.settings.Database)
	if err != nil {
		return nil, nil, err
	}
	a.db = db
	a.onClose(func() { db.Close() })
	if len(db.Tightened) > 0 {
		log.Warn("the SQLite database was open to every user on this host; mergeguard made it private to its owner", "files", db.Tightened)
	}
	if err := queue.Migrate(ctx, db); err != nil {
		return nil, nil, err
	}
	replica, err := db.JoinReplicas(ctx, log)
	if err != nil {
		return nil, nil, err
	}
	a.onClose(func() { replica.Close() })
	var membership queue.Replica
	if replica != nil {
		a.replica, membership = replica.Number(), replica
	}
	if db.Driver == store.SQLite {
		release, err := store.LockSQLite(a.settings.Database.Path)
		if err != nil {
			return nil, nil, err
		}
		a.onClose(release)
		n, err := queue.ResumeInterrupted(ctx, db, now())
		if err != nil {
			return nil, nil, err
		}
		if n > 0 {
			log.Warn("resumed evaluations interrupted when the previous server process stopped", "jobs", n)
		}
		if n, err := (store.CheckRuns{DB: db}).ReleaseAllLeases(ctx); err != nil {
			return nil, nil, err
		} else if n > 0 {
			log.Warn("freed check runs the previous server process was publishing when it stopped", "check_runs", n)
		}
	}
	return db, membership, nil
}

// policies builds the policy source: the bundled policies (or the tests'),
// the organizations' from their policy repository, run in worker processes
// when the settings ask for them.
func (a *Server) policies(ctx context.Context, m *metrics.Metrics) (*policysource.Source, error) {
	s, log, now := a.settings, a.log, a.now
	bundled := a.opts.Policy
	if bundled == nil {
		var err error
		if bundled, err = policies.Modules(); err != nil {
			return nil, err
		}
	}
	workers, err := policyWorkers(s.Policy, log, m)
	if err != nil {
		return nil, err
	}
	if workers != nil {
		a.onClose(func() { workers.Close() })
	}
	return policysource.New(ctx, policysource.Options{
		Repo: s.PolicyRepo, Layout: policysource.Layout{Dir: s.PolicyDir}, RepoConfigPath: repoConfigPath,
		Bundled: bundled, Timeout: s.PolicyTimeout, Workers: workers, DefaultMode: s.Mode,
		LastGood: store.PolicyState{DB: a.db, Now: now}, Now: now, Log: log,
		OnCompile: func(_ string, ok bool) {
			result := "ok"
			if !ok {
				result = "broken"
			}
			m.PolicyCompilations.WithLabelValues(result).Inc()
		},
	})
}

// Run serves until ctx ends, then stops taking deliveries and lets running
// evaluations finish, up to the shutdown timeout.
func (a *Server) Run(ctx context.Context) error {
	s, log, opts := a.settings, a.log, a.opts
	ln := opts.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", s.Addr); err != nil {
			return fmt.Errorf("listen on %s (%s): %w", s.Addr, settings.EnvAddr, err)
		}
	}
	// River treats the end of Start's context as a hard stop that cancels
	// running jobs; shutdown is Stop's job, after the HTTP server stops.
	if err := a.queue.Start(context.WithoutCancel(ctx)); err != nil {
		ln.Close()
		return fmt.Errorf("start job queue: %w", err)
	}
	log.Info("mergeguard is serving",
		"version", version.String(), "addr", ln.Addr().String(), "database", s.Database.Driver, "replica", a.replica,
		"github_api", s.GitHubAPIURL, "app_id", s.AppID, "check_name", s.CheckName, "mode", s.Mode,
		"bundled_policy", a.source.Bundled().Label, "rules", len(a.source.Bundled().Policy.Rules()),
		"policy_repo", s.PolicyRepo+"/"+s.PolicyDir)
	for _, n := range s.Policy.Notices {
		log.Warn(n)
	}
	if opts.OnListening != nil {
		opts.OnListening(ln.Addr())
	}

	metricsErr := make(chan error, 1)
	if s.MetricsAddr != "" {
		mln, err := net.Listen("tcp", s.MetricsAddr)
		if err != nil {
			ln.Close()
			_ = a.queue.Stop(context.WithoutCancel(ctx))
			return fmt.Errorf("listen on %s (%s): %w", s.MetricsAddr, settings.EnvMetricsAddr, err)
		}
		log.Info("serving metrics separately", "addr", mln.Addr().String())
		go func() { metricsErr <- a.http.ServeMetrics(ctx, mln) }()
	} else {
		metricsErr <- nil
	}

	serveErr := a.http.Serve(ctx, ln)
	log.Info("shutting down: waiting for running evaluations", "timeout", s.ShutdownTimeout.String())
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.ShutdownTimeout)
	defer cancel()
	stopErr := a.queue.Stop(stopCtx)
	log.Info("mergeguard stopped")
	return errors.Join(serveErr, <-metricsErr, stopErr)
}

// evaluation is the evaluator's request for a queued one.
func evaluation(r queue.Request) evaluator.Request {
	return evaluator.Request{
		PR: r.PR, RepoID: r.RepoID,
		Trigger: facts.Trigger{Event: r.Event, Action: r.Action}, DeliveryID: r.DeliveryID,
	}
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

// LocalPolicyWorkers isolates the policy a CLI command runs, as the server
// does: one worker, with the server's memory limit.
func LocalPolicyWorkers(env settings.Policy) (*policy.Workers, error) {
	return policy.NewWorkers(policy.WorkerConfig{Size: 1, Memory: env.PolicyMemory})
}
