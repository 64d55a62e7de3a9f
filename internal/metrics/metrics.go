// Package metrics defines mergeguard's Prometheus metrics. docs/operations.md
// lists them with the alerts worth setting.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics holds every collector, registered on its own registry.
type Metrics struct {
	Registry *prometheus.Registry

	// Deliveries counts webhook deliveries by event and outcome.
	Deliveries *prometheus.CounterVec
	// JobDuration is how long one evaluation job ran, by outcome.
	JobDuration *prometheus.HistogramVec
	// EventToVerdict is the time from the first event of a burst to the
	// check run that answers it: the latency a developer sees.
	EventToVerdict prometheus.Histogram
	// EvaluationDuration is the policy evaluation alone.
	EvaluationDuration prometheus.Histogram
	// Verdicts counts published verdicts by conclusion.
	Verdicts *prometheus.CounterVec
	// GitHubRequests counts requests to GitHub by method and status code.
	GitHubRequests *prometheus.CounterVec
	// RateLimitRemaining is GitHub's x-ratelimit-remaining by installation.
	RateLimitRemaining *prometheus.GaugeVec
	// PolicyCompilations counts compiled policy versions by result.
	PolicyCompilations *prometheus.CounterVec
	// PolicyWorkerStops counts policy workers stopped while running policy
	// code, by reason.
	PolicyWorkerStops *prometheus.CounterVec
	// GitHubRetries counts requests sent again after a failure, by reason.
	GitHubRetries *prometheus.CounterVec
	// GitHubRateLimitWaits counts the times an installation began waiting
	// out a rate limit, by kind.
	GitHubRateLimitWaits *prometheus.CounterVec
	// GitHubMalformed counts GitHub's answers refused as malformed, by
	// method.
	GitHubMalformed *prometheus.CounterVec
	// GitHubRequestsHeld counts requests not sent because their
	// installation was waiting out a rate limit.
	GitHubRequestsHeld prometheus.Counter
	// GitHubWaits counts requests that met a limit, by kind (rate_limit,
	// write_pace) and outcome: waited out in place, or handed back to the
	// queue with their job.
	GitHubWaits *prometheus.CounterVec
	// GitHubConcurrency is each installation's current bound on requests
	// in flight.
	GitHubConcurrency *prometheus.GaugeVec
	// GitHubAvailable is 1 while GitHub answers an installation's
	// requests, 0 during an outage.
	GitHubAvailable *prometheus.GaugeVec
	// JobsDeferred counts jobs handed back to the queue without spending an
	// attempt, by reason.
	JobsDeferred *prometheus.CounterVec
	// EvaluationsFailed counts evaluations given up on, by reason.
	EvaluationsFailed *prometheus.CounterVec
	// FailureReportErrors counts given-up evaluations whose failed check
	// run could not be published.
	FailureReportErrors prometheus.Counter
	// Redelivery measures the redelivery of missed webhook deliveries.
	Redelivery *Redelivery
	// Intake measures what clients hold and what was refused at intake.
	Intake *Intake
	// JobsTakenOver counts jobs a replica took over from a replica that
	// died running them, by what became of them.
	JobsTakenOver *prometheus.CounterVec
}

// Result labels of JobsTakenOver.
const (
	// TakenOverResumed: the job runs again on a live replica.
	TakenOverResumed = "resumed"
	// TakenOverGivenUp: the job had used its last attempt (it may be what
	// kills the replicas); it ends with a failed check run.
	TakenOverGivenUp = "given_up"
)

// Reason labels of GitHubRetries.
const (
	RetryServerError = "server_error"
	RetryTimeout     = "timeout"
	RetryNetwork     = "network"
	// RetryMalformed: GitHub's answer was not what GitHub sends.
	RetryMalformed = "malformed"
)

// Labels of GitHubWaits.
const (
	WaitRateLimit  = "rate_limit"
	WaitWritePace  = "write_pace"
	WaitInPlace    = "in_place"
	WaitHandedBack = "handed_back"
)

// Reason labels of JobsDeferred.
const (
	// DeferredRateLimit: a rate limit longer than GitHub waits in place.
	DeferredRateLimit = "rate_limit"
	// DeferredUnavailable: GitHub is not answering the installation.
	DeferredUnavailable = "github_unavailable"
	// DeferredBusy: another evaluation is publishing on the same commit.
	DeferredBusy = "busy"
)

// Reason labels of EvaluationsFailed.
const (
	// FailedExhausted: every attempt failed.
	FailedExhausted = "retries_exhausted"
	// FailedPermanent: retrying cannot help (the pull request is gone).
	FailedPermanent = "permanent"
	// FailedCrashed: the job's last attempt ended with its server process.
	FailedCrashed = "crashed"
	// FailedUnavailable: GitHub did not answer for longer than the
	// evaluation waits for it.
	FailedUnavailable = "github_unavailable"
)

// Outcome labels of Deliveries.
const (
	DeliveryAccepted     = "accepted"
	DeliveryCoalesced    = "coalesced"
	DeliveryDuplicate    = "duplicate"
	DeliveryIgnored      = "ignored"
	DeliveryPing         = "ping"
	DeliveryBadSignature = "bad_signature"
	DeliveryMalformed    = "malformed"
	DeliveryTooLarge     = "too_large"
	// DeliveryTooSlow: the body did not arrive within its deadline.
	DeliveryTooSlow = "too_slow"
	// DeliveryBusy: refused because an intake limit was reached (see
	// Intake.Refused for which).
	DeliveryBusy  = "busy"
	DeliveryError = "error"
	// DeliveryPush is a push, noted to refresh cached policy and configuration.
	DeliveryPush = "push"
	// DeliveryDeployment is a deployment status, noted to re-evaluate the
	// repository's promotion pull requests.
	DeliveryDeployment = "deployment"
	// DeliveryPermissions is an owner accepting the App's new permissions,
	// noted to re-evaluate the organization's pull requests.
	DeliveryPermissions = "permissions"
)

// New creates the collectors on a fresh registry, with Go runtime and process
// metrics.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		Deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mergeguard_webhook_deliveries_total",
			Help: "Webhook deliveries by event and outcome (accepted, coalesced, duplicate, ignored, push, ping, bad_signature, malformed, too_large, too_slow, busy, error).",
		}, []string{"event", "outcome"}),
		JobDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "mergeguard_job_duration_seconds",
			Help:    "Duration of evaluation jobs by outcome (success, retry, snoozed, cancelled).",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120},
		}, []string{"outcome"}),
		EventToVerdict: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "mergeguard_event_to_verdict_seconds",
			Help:    "Time from the first webhook event of a burst to the published check run.",
			Buckets: []float64{0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900},
		}),
		EvaluationDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "mergeguard_evaluation_duration_seconds",
			Help:    "Duration of one policy evaluation (all rules, one pull request).",
			Buckets: []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2},
		}),
		Verdicts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mergeguard_verdicts_total",
			Help: "Published verdicts by check-run conclusion.",
		}, []string{"conclusion"}),
		GitHubRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mergeguard_github_requests_total",
			Help: "Requests to the GitHub API by method and HTTP status code (\"error\" when no response arrived).",
		}, []string{"method", "status"}),
		RateLimitRemaining: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "mergeguard_github_rate_limit_remaining",
			Help: "Requests left in GitHub's primary rate limit window, per installation (\"app\" for App-authenticated calls).",
		}, []string{"installation"}),
		PolicyCompilations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mergeguard_policy_compilations_total",
			Help: "Policy versions compiled (once per policy repository commit), by result (ok, broken).",
		}, []string{"result"}),
		PolicyWorkerStops: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mergeguard_policy_worker_stops_total",
			Help: "Policy worker processes stopped while running policy code, by reason (memory: the memory limit; time: a builtin call ran past the time limit; crash).",
		}, []string{"reason"}),
		GitHubRetries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mergeguard_github_retries_total",
			Help: "Requests to GitHub sent again after a failure, by reason (server_error, timeout, network, malformed).",
		}, []string{"reason"}),
		GitHubRateLimitWaits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mergeguard_github_rate_limit_waits_total",
			Help: "Times an installation began waiting out a GitHub rate limit, by kind (primary, secondary).",
		}, []string{"kind"}),
		GitHubMalformed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mergeguard_github_malformed_answers_total",
			Help: "GitHub answers refused because they were not what GitHub sends (not JSON, a malformed SHA, a required field missing), by request method.",
		}, []string{"method"}),
		GitHubRequestsHeld: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mergeguard_github_requests_held_total",
			Help: "Requests to GitHub not sent because their installation was waiting out a rate limit.",
		}),
		EvaluationsFailed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mergeguard_evaluations_failed_total",
			Help: "Pull request evaluations given up on, by reason (retries_exhausted, permanent, crashed, github_unavailable).",
		}, []string{"reason"}),
		FailureReportErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mergeguard_evaluation_failure_report_errors_total",
			Help: "Given-up evaluations whose failed check run could not be published: the pull request shows no verdict for its head.",
		}),
		GitHubWaits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mergeguard_github_waits_total",
			Help: "Requests to GitHub that met a limit, by kind (rate_limit, write_pace) and outcome (in_place: waited and sent; handed_back: the job was rescheduled).",
		}, []string{"kind", "outcome"}),
		GitHubConcurrency: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "mergeguard_github_concurrency_limit",
			Help: "Requests of an installation allowed in flight at once: halved by each rate limit GitHub announces, grown by one per window (at least 16 answers) without one.",
		}, []string{"installation"}),
		GitHubAvailable: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "mergeguard_github_available",
			Help: "1 while GitHub answers an installation's requests, 0 while it answers none (an outage); evaluations then wait instead of failing.",
		}, []string{"installation"}),
		JobsDeferred: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mergeguard_jobs_deferred_total",
			Help: "Jobs handed back to the queue without spending an attempt, by reason (rate_limit, github_unavailable, busy).",
		}, []string{"reason"}),
		JobsTakenOver: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mergeguard_jobs_taken_over_total",
			Help: "Jobs taken over from a replica that died running them (PostgreSQL), by result (resumed, given_up).",
		}, []string{"result"}),
	}
	m.Registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.Deliveries, m.JobDuration, m.EventToVerdict, m.EvaluationDuration,
		m.Verdicts, m.GitHubRequests, m.RateLimitRemaining, m.PolicyCompilations, m.PolicyWorkerStops,
		m.GitHubRetries, m.GitHubRateLimitWaits, m.GitHubMalformed, m.GitHubRequestsHeld, m.EvaluationsFailed, m.FailureReportErrors,
		m.GitHubWaits, m.GitHubConcurrency, m.GitHubAvailable, m.JobsDeferred,
		m.JobsTakenOver,
	)
	m.Redelivery = newRedelivery(m.Registry)
	m.Intake = newIntake(m.Registry)
	return m
}
