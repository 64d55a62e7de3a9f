// Package webhook receives GitHub's webhook deliveries. It verifies each
// signature, stores what needs doing as a durable job, and answers at once; it
// never calls GitHub itself.
package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
	"golang.org/x/time/rate"

	"github.com/mergeguard/mergeguard/internal/command"
	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/httpjson"
	"github.com/mergeguard/mergeguard/internal/intake"
	"github.com/mergeguard/mergeguard/internal/metrics"
	"github.com/mergeguard/mergeguard/internal/text"
)

// MaxBodyBytes is the largest delivery accepted; GitHub caps payloads at 25 MB.
const MaxBodyBytes = 25 << 20

// Acceptor durably records a delivery and schedules its work: a pull
// request's evaluation (Accept), or a job of its own (a merge group check,
// a command).
type Acceptor interface {
	Accept(ctx context.Context, d decision.Delivery) (decision.Acceptance, error)
	AcceptMergeGroup(ctx context.Context, d decision.Delivery, mg decision.MergeGroupRequest) (decision.Acceptance, error)
	AcceptComment(ctx context.Context, d decision.Delivery, c decision.Comment) (decision.Acceptance, error)
}

// DefaultBufferBytes bounds the memory of deliveries being read at once
// when WithLimits sets no other bound: a delivery is verified only after
// its body is read, so without a bound any caller could make the server
// buffer 25 MiB per connection.
const DefaultBufferBytes = 64 << 20

// Handler serves POST /webhook.
type Handler struct {
	prefix   string
	secret   []byte
	acceptor Acceptor
	log      *slog.Logger
	metrics  *metrics.Metrics
	now      func() time.Time
	body     *intake.Reader
	// rejected rate-limits warnings about rejected requests: anyone can send
	// them, and the metric already counts every one.
	rejected rate.Sometimes
	// pushed is told of every push, so cached policy and configuration
	// are refreshed at once rather than after their time to live, and pull
	// requests they judge are evaluated again.
	pushed func(context.Context, Push) error
	// deployed is told of every deployment status, so the bake_time
	// verdicts of promotion pull requests change at once.
	deployed func(context.Context, decision.DeploymentStatus) error
	// accepted is told when an owner accepts the App's new permissions.
	accepted func(context.Context, decision.PermissionsAccepted) error
	// receipt notes verified deliveries that need no job (see
	// WithReceipts).
	receipt func(context.Context, decision.Receipt) error
}

// Push is what a push delivery says (decision.Push).
type Push = decision.Push

// Option configures a Handler.
type Option func(*Handler)

// WithPushObserver calls fn for every push delivery. An error is answered
// with 503, so that GitHub shows the delivery as failed and it can be
// redelivered.
func WithPushObserver(fn func(context.Context, Push) error) Option {
	return func(h *Handler) { h.pushed = fn }
}

// WithDeploymentObserver calls fn for every deployment_status delivery. An
// error is answered with 503, so that GitHub shows the delivery as failed
// and it can be redelivered.
func WithDeploymentObserver(fn func(context.Context, decision.DeploymentStatus) error) Option {
	return func(h *Handler) { h.deployed = fn }
}

// WithPermissionsObserver calls fn when an installation's owner accepts the
// App's new permissions. An error is answered with 503.
func WithPermissionsObserver(fn func(context.Context, decision.PermissionsAccepted) error) Option {
	return func(h *Handler) { h.accepted = fn }
}

// WithLimits sets the memory deliveries being read may hold
// (l.BufferBytes; DefaultBufferBytes when zero). A body is never longer
// than MaxBodyBytes.
func WithLimits(l intake.Limits) Option {
	return func(h *Handler) {
		if l.BufferBytes <= 0 {
			l.BufferBytes = DefaultBufferBytes
		}
		l.MaxBody = MaxBodyBytes
		h.body.Limits = l
	}
}

// WithCommandPrefix sets what starts a command in a comment ("/guard"
// by default); comments without it are not queued.
func WithCommandPrefix(prefix string) Option {
	return func(h *Handler) {
		if prefix != "" {
			h.prefix = prefix
		}
	}
}

// WithReceipts calls fn for every verified delivery that needs no job (a
// ping, a push, an ignored event, a payload mergeguard cannot use), so that
// the redelivery of missed deliveries knows it arrived. Deliveries that
// become work are recorded with their job. A failure is logged and the
// delivery answered as usual: the receipt only saves a needless
// redelivery.
func WithReceipts(fn func(context.Context, decision.Receipt) error) Option {
	return func(h *Handler) { h.receipt = fn }
}

// New returns the handler. An empty secret is refused: go-github would then
// accept unsigned payloads.
func New(secret []byte, a Acceptor, log *slog.Logger, m *metrics.Metrics, now func() time.Time, opts ...Option) (*Handler, error) {
	if len(bytes.TrimSpace(secret)) == 0 {
		return nil, errors.New("webhook secret is empty: refusing to accept unsigned deliveries")
	}
	h := &Handler{
		secret: secret, acceptor: a, log: log, metrics: m, now: now, prefix: command.DefaultPrefix,
		body:     &intake.Reader{Limits: intake.Limits{BufferBytes: DefaultBufferBytes, MaxBody: MaxBodyBytes}},
		rejected: rate.Sometimes{Interval: 10 * time.Second},
	}
	for _, o := range opts {
		o(h)
	}
	h.body.Budget = intake.NewBudget(h.body.Limits, m.Intake.BodyBytes)
	return h, nil
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	event := r.Header.Get("X-GitHub-Event")
	id := r.Header.Get("X-GitHub-Delivery")
	label := eventLabel(event)
	log := h.log.With("delivery_id", text.Clip(id, 64), "event", text.Clip(event, 64), "remote", r.RemoteAddr)
	verified := false
	answer := func(status int, outcome, key, msg string, level slog.Level) {
		if verified {
			h.noteReceipt(r.Context(), log, decision.Receipt{ID: id, Event: event, Outcome: outcome, ReceivedAt: h.now()})
		}
		h.metrics.Deliveries.WithLabelValues(label, outcome).Inc()
		if level == slog.LevelWarn && (status != http.StatusServiceUnavailable || outcome == metrics.DeliveryBusy) {
			// Rejections can come from anyone: warn at most every 10s.
			level = slog.LevelDebug
			h.rejected.Do(func() { level = slog.LevelWarn })
		}
		log.Log(r.Context(), level, "webhook "+outcome, "status", status, key, msg)
		httpjson.Write(w, status, map[string]string{key: msg})
	}

	// Refuse what cannot be a valid delivery before reading the body.
	sig := r.Header.Get("X-Hub-Signature-256")
	switch {
	case sig == "":
		answer(http.StatusUnauthorized, metrics.DeliveryBadSignature, "error", "missing X-Hub-Signature-256 header: configure a webhook secret on the GitHub App", slog.LevelWarn)
		return
	case !strings.HasPrefix(sig, "sha256=") || len(sig) != len("sha256=")+64:
		answer(http.StatusUnauthorized, metrics.DeliveryBadSignature, "error", "X-Hub-Signature-256 must be sha256=<64 hex digits>", slog.LevelWarn)
		return
	}

	body, err := h.body.Read(w, r)
	if err != nil {
		var tooBig *http.MaxBytesError
		var busy *intake.BusyError
		switch {
		case errors.As(err, &tooBig):
			answer(http.StatusRequestEntityTooLarge, metrics.DeliveryTooLarge, "error", "payload larger than 25 MiB", slog.LevelWarn)
		case errors.As(err, &busy):
			h.metrics.Intake.Refused.WithLabelValues(busy.Reason).Inc()
			w.Header().Set("Retry-After", "10")
			answer(http.StatusServiceUnavailable, metrics.DeliveryBusy, "error", "too many request bodies are being read at once ("+busy.Reason+"); try again shortly", slog.LevelWarn)
		case errors.Is(err, intake.ErrTooSlow):
			answer(http.StatusRequestTimeout, metrics.DeliveryTooSlow, "error", "the request body did not arrive in time", slog.LevelWarn)
		default:
			answer(http.StatusBadRequest, metrics.DeliveryMalformed, "error", "could not read the request body", slog.LevelWarn)
		}
		return
	}
	// hmac.Equal inside ValidateSignature compares in constant time.
	if err := github.ValidateSignature(sig, body, h.secret); err != nil {
		answer(http.StatusUnauthorized, metrics.DeliveryBadSignature, "error", "signature does not match: check that MERGEGUARD_WEBHOOK_SECRET equals the App's webhook secret", slog.LevelWarn)
		return
	}

	if id == "" || len(id) > 100 {
		answer(http.StatusBadRequest, metrics.DeliveryMalformed, "error", "missing or invalid X-GitHub-Delivery header", slog.LevelWarn)
		return
	}
	// From here, every answer but a failure to act (503, for GitHub to
	// show the delivery as failed) or an accepted job means the delivery
	// arrived and needs nothing more.
	verified = true
	payload, err := jsonPayload(r.Header.Get("Content-Type"), body)
	if err != nil {
		answer(http.StatusBadRequest, metrics.DeliveryMalformed, "error", err.Error(), slog.LevelWarn)
		return
	}
	if event == "ping" {
		answer(http.StatusOK, metrics.DeliveryPing, "status", "pong", slog.LevelInfo)
		return
	}
	if !json.Valid(payload) {
		answer(http.StatusBadRequest, metrics.DeliveryMalformed, "error", "payload is not valid JSON", slog.LevelWarn)
		return
	}

	if p, ok := parsePush(event, payload); ok && h.pushed != nil {
		if err := h.pushed(r.Context(), p); err != nil {
			h.metrics.Deliveries.WithLabelValues(label, metrics.DeliveryError).Inc()
			log.Error("could not act on a push; GitHub will show the delivery as failed", "err", err)
			httpjson.Write(w, http.StatusServiceUnavailable, map[string]string{
				"error": "the push could not be acted on; redeliver it from the GitHub App's advanced settings once mergeguard is healthy",
			})
			return
		}
		answer(http.StatusAccepted, metrics.DeliveryPush, "status", "noted", slog.LevelDebug)
		return
	}

	if event == "deployment_status" && h.deployed != nil {
		ds, err := parseDeploymentStatus(payload)
		if err != nil {
			answer(http.StatusBadRequest, metrics.DeliveryMalformed, "error", err.Error(), slog.LevelWarn)
			return
		}
		if err := h.deployed(r.Context(), ds); err != nil {
			h.metrics.Deliveries.WithLabelValues(label, metrics.DeliveryError).Inc()
			log.Error("could not act on a deployment status; GitHub will show the delivery as failed", "err", err)
			httpjson.Write(w, http.StatusServiceUnavailable, map[string]string{
				"error": "the deployment status could not be acted on; redeliver it from the GitHub App's advanced settings once mergeguard is healthy",
			})
			return
		}
		answer(http.StatusAccepted, metrics.DeliveryDeployment, "status", "noted", slog.LevelDebug)
		return
	}

	if pa, ok := parsePermissionsAccepted(event, id, payload); ok && h.accepted != nil {
		if err := h.accepted(r.Context(), pa); err != nil {
			h.metrics.Deliveries.WithLabelValues(label, metrics.DeliveryError).Inc()
			log.Error("could not act on accepted permissions; GitHub will show the delivery as failed", "err", err)
			httpjson.Write(w, http.StatusServiceUnavailable, map[string]string{
				"error": "the accepted permissions could not be acted on; redeliver it from the GitHub App's advanced settings once mergeguard is healthy",
			})
			return
		}
		answer(http.StatusAccepted, metrics.DeliveryPermissions, "status", "noted", slog.LevelInfo)
		return
	}

	d, work, err := parseDelivery(event, id, payload, h.prefix)
	var malformed *malformedError
	switch {
	case errors.Is(err, errIgnored):
		answer(http.StatusAccepted, metrics.DeliveryIgnored, "status", "ignored: mergeguard has nothing to do for this event", slog.LevelDebug)
		return
	case errors.As(err, &malformed):
		answer(http.StatusBadRequest, metrics.DeliveryMalformed, "error", malformed.reason, slog.LevelWarn)
		return
	case err != nil:
		answer(http.StatusBadRequest, metrics.DeliveryMalformed, "error", err.Error(), slog.LevelWarn)
		return
	}
	d.ReceivedAt = h.now()
	if d.Head.SHA != "" {
		d.Head.To = d.ReceivedAt
	}
	log = log.With("action", d.Action, "repo", d.PR.Repo, "pr", d.PR.Number)

	var outcome decision.Acceptance
	switch j := work.(type) {
	case decision.MergeGroupRequest:
		outcome, err = h.acceptor.AcceptMergeGroup(r.Context(), d, j)
	case decision.Comment:
		outcome, err = h.acceptor.AcceptComment(r.Context(), d, j)
	default:
		outcome, err = h.acceptor.Accept(r.Context(), d)
	}
	if err != nil {
		h.metrics.Deliveries.WithLabelValues(label, metrics.DeliveryError).Inc()
		log.Error("could not store webhook delivery; GitHub will show it as failed", "err", err)
		httpjson.Write(w, http.StatusServiceUnavailable, map[string]string{
			"error": "the delivery could not be stored; redeliver it from the GitHub App's advanced settings once mergeguard is healthy",
		})
		return
	}
	status := http.StatusAccepted
	if outcome == decision.Duplicate {
		status = http.StatusOK
	}
	h.metrics.Deliveries.WithLabelValues(label, string(outcome)).Inc()
	log.Info("webhook "+string(outcome), "status", status)
	httpjson.Write(w, status, map[string]string{"status": string(outcome), "delivery": d.ID})
}

// noteReceipt records a delivery that needed no job, when receipts are
// kept.
func (h *Handler) noteReceipt(ctx context.Context, log *slog.Logger, rc decision.Receipt) {
	if h.receipt == nil {
		return
	}
	if err := h.receipt(ctx, rc); err != nil {
		log.Warn("could not note the delivery as received; it may be redelivered for nothing", "err", err)
	}
}

// parsePush reads a push to a branch.
func parsePush(event string, payload []byte) (Push, bool) {
	if event != "push" {
		return Push{}, false
	}
	var e github.PushEvent
	if err := json.Unmarshal(payload, &e); err != nil {
		return Push{}, false
	}
	branch, ok := strings.CutPrefix(e.GetRef(), "refs/heads/")
	repo := e.GetRepo()
	p := Push{
		InstallationID: e.GetInstallation().GetID(), RepoID: repo.GetID(),
		Owner: repo.GetOwner().GetLogin(), Repo: repo.GetName(), Branch: branch, DefaultBranch: repo.GetDefaultBranch(), After: e.GetAfter(),
	}
	if p.Owner == "" {
		p.Owner = repo.GetOwner().GetName()
	}
	for _, c := range e.Commits {
		p.Files = append(append(append(p.Files, c.Added...), c.Modified...), c.Removed...)
	}
	return p, ok && p.Owner != "" && p.Repo != ""
}

// parseDeploymentStatus reads a deployment_status delivery. The status's
// environment is the one the deployment was made to (GitHub repeats it on
// the status); an App delivery names its installation.
func parseDeploymentStatus(payload []byte) (decision.DeploymentStatus, error) {
	var e github.DeploymentStatusEvent
	if err := json.Unmarshal(payload, &e); err != nil {
		return decision.DeploymentStatus{}, fmt.Errorf("not a deployment_status payload: %w", err)
	}
	repo, dep, st := e.GetRepo(), e.GetDeployment(), e.GetDeploymentStatus()
	ds := decision.DeploymentStatus{
		InstallationID: e.GetInstallation().GetID(), RepoID: repo.GetID(),
		Owner: repo.GetOwner().GetLogin(), Repo: repo.GetName(), DefaultBranch: repo.GetDefaultBranch(),
		Environment: st.GetEnvironment(), State: st.GetState(),
		DeploymentID: dep.GetID(), SHA: dep.GetSHA(), Ref: dep.GetRef(),
	}
	if ds.Environment == "" {
		ds.Environment = dep.GetEnvironment()
	}
	switch {
	case ds.InstallationID <= 0:
		return ds, errors.New("deployment_status payload has no installation")
	case ds.RepoID <= 0 || ds.Owner == "" || ds.Repo == "":
		return ds, errors.New("deployment_status payload has no repository")
	case ds.Environment == "" || ds.State == "":
		return ds, errors.New("deployment_status payload has no environment or state")
	}
	return ds, nil
}

// parsePermissionsAccepted reads an installation delivery whose owner
// accepted new permissions.
func parsePermissionsAccepted(event, id string, payload []byte) (decision.PermissionsAccepted, bool) {
	if event != "installation" {
		return decision.PermissionsAccepted{}, false
	}
	var e github.InstallationEvent
	if err := json.Unmarshal(payload, &e); err != nil || e.GetAction() != "new_permissions_accepted" {
		return decision.PermissionsAccepted{}, false
	}
	pa := decision.PermissionsAccepted{InstallationID: e.GetInstallation().GetID(), Owner: e.GetInstallation().GetAccount().GetLogin(), DeliveryID: id}
	return pa, pa.InstallationID > 0 && pa.Owner != ""
}

// jsonPayload returns the JSON payload of a delivery sent as
// application/json or as a form with a payload field (both are options in
// GitHub's webhook settings).
func jsonPayload(contentType string, body []byte) ([]byte, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if contentType == "" {
		mt, err = "application/json", nil
	}
	if err != nil {
		return nil, errors.New("invalid Content-Type header")
	}
	switch mt {
	case "application/json":
		return body, nil
	case "application/x-www-form-urlencoded":
		form, err := url.ParseQuery(string(body))
		if err != nil || form.Get("payload") == "" {
			return nil, errors.New("form-encoded delivery has no payload field")
		}
		return []byte(form.Get("payload")), nil
	}
	return nil, errors.New("unsupported Content-Type " + mt + ": set the App's webhook content type to application/json")
}
