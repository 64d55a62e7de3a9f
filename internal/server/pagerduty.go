// The PagerDuty receiver turns PagerDuty V3 webhooks into incident freezes:
//
//	POST /api/v1/pagerduty
//	X-PagerDuty-Signature: v1=<HMAC-SHA256 of the body with the subscription's secret>
//	body: a V3 webhook event
//
// A bad signature is answered 401, a body that is no V3 event 400, both
// changing nothing. An incident triggered (or reopened, or raised in
// priority) on a mapped service with a listed urgency or priority freezes
// the service's repositories; its resolution ends that freeze. One freeze
// per incident: a second event about a frozen incident changes nothing.
// Each event is acted on once: a retried or replayed delivery (same event
// ID) is answered as a duplicate. Events that freeze nothing (an unmapped
// service, a low urgency, another event type) are answered 202 with why.

package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/mergeguard/mergeguard/internal/httpjson"
	"github.com/mergeguard/mergeguard/internal/incident"
	"github.com/mergeguard/mergeguard/internal/pagerduty"
	"github.com/mergeguard/mergeguard/internal/store"
)

// PagerDutyHandler serves POST /api/v1/pagerduty.
type PagerDutyHandler struct {
	DB     *store.DB
	Sweeps incident.Sweeper
	// Owner is the organization whose repositories incidents freeze.
	Owner  string
	Config pagerduty.Config
	Now    func() time.Time
	Log    *slog.Logger
}

// PagerDuty outcomes, in the answer's "status" and the events table.
const (
	pdFrozen    = "frozen"
	pdUnfrozen  = "unfrozen"
	pdUnchanged = "unchanged"
	pdIgnored   = "ignored"
	pdDuplicate = "duplicate"
)

// pagerDutyActor is who the audit trail names for a freeze PagerDuty
// started or ended.
const pagerDutyActor = "pagerduty"

func (h *PagerDutyHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fail := func(status int, msg string) {
		h.Log.Info("PagerDuty delivery refused", "status", status, "reason", msg, "remote", r.RemoteAddr)
		httpjson.Write(w, status, map[string]string{"error": msg})
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, pagerduty.MaxBody))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		fail(http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than %d KiB; a PagerDuty event is a few", pagerduty.MaxBody>>10))
		return
	case err != nil:
		fail(http.StatusBadRequest, "could not read the body: "+err.Error())
		return
	}
	if err := pagerduty.Verify(body, r.Header.Get(pagerduty.SignatureHeader), h.Config.Secrets()); err != nil {
		fail(http.StatusUnauthorized, err.Error()+"; check the signing secret in MERGEGUARD_PAGERDUTY_FILE against the webhook subscription's")
		return
	}
	e, err := pagerduty.Parse(body)
	if err != nil {
		fail(http.StatusBadRequest, err.Error())
		return
	}
	if !e.OccurredAt.IsZero() && h.Now().Sub(e.OccurredAt) > store.MaxPagerDutyEventAge {
		httpjson.Write(w, http.StatusAccepted, map[string]string{"status": pdIgnored, "event": e.ID,
			"reason": fmt.Sprintf("the event occurred at %s, more than %d days ago: a replay, not an incident", e.OccurredAt.UTC().Format(time.RFC3339), int(store.MaxPagerDutyEventAge.Hours()/24))})
		return
	}
	log := h.Log.With("event_id", e.ID, "event_type", e.Type)
	ctx := r.Context()
	var outcome string
	var seen bool
	err = h.DB.InTx(ctx, func(tx store.Tx) error {
		outcome, seen, err = store.PagerDutyEventSeen(ctx, tx, e.ID)
		return err
	})
	if err != nil {
		h.unavailable(w, log, err)
		return
	}
	if seen {
		log.Info("PagerDuty event already handled", "outcome", outcome)
		httpjson.Write(w, http.StatusOK, map[string]string{"status": pdDuplicate, "event": e.ID, "first": outcome})
		return
	}
	d := h.Config.Decide(e)
	answer := map[string]any{"event": e.ID}
	status := http.StatusAccepted
	incidentID := ""
	if d.Intent == nil {
		outcome = pdIgnored
		answer["reason"] = d.Reason
		if e.Incident != nil {
			incidentID = e.Incident.ID
		}
	} else {
		incidentID = d.Intent.IncidentID
		var f store.Freeze
		if outcome, f, err = h.act(ctx, *d.Intent); err != nil {
			h.unavailable(w, log, err)
			return
		}
		if f.ID != 0 {
			answer["freeze"] = f.ID
		}
		if outcome == pdFrozen {
			status = http.StatusCreated
		} else {
			status = http.StatusOK
		}
	}
	// Recorded after acting: acting again is harmless (one freeze per
	// incident), losing an event because it was recorded before a
	// failure is not.
	err = h.DB.InTx(ctx, func(tx store.Tx) error {
		return store.RecordPagerDutyEvent(ctx, tx, e.ID, incidentID, outcome, h.Now())
	})
	if err != nil {
		log.Warn("acted on a PagerDuty event but could not record it; a replay would be acted on again (harmlessly)", "err", err)
	}
	answer["status"] = outcome
	log.Info("PagerDuty event handled", "outcome", outcome, "incident", incidentID, "reason", d.Reason)
	httpjson.Write(w, status, answer)
}

// incidentSource is the freezes' source prefix for an incident: the
// freeze an incident started is found by it, to keep one per incident and
// to end it on resolution.
func incidentSource(incidentID string) string { return "pagerduty:" + incidentID + ":" }

// act starts or ends the incident's freeze.
func (h *PagerDutyHandler) act(ctx context.Context, in pagerduty.Intent) (string, store.Freeze, error) {
	now := h.Now()
	var current []store.Freeze
	err := h.DB.InTx(ctx, func(tx store.Tx) error {
		all, err := store.Freezes(ctx, tx, h.Owner, now)
		for _, f := range all {
			if strings.HasPrefix(f.Source, incidentSource(in.IncidentID)) {
				current = append(current, f)
			}
		}
		return err
	})
	if err != nil {
		return "", store.Freeze{}, err
	}
	switch in.Action {
	case pagerduty.Start:
		if len(current) > 0 {
			return pdUnchanged, current[0], nil
		}
		reason := in.Reason
		if in.URL != "" {
			reason += " (" + in.URL + ")"
		}
		var repos []string
		if !in.OrgWide {
			repos = in.Repositories
		}
		// The event ID makes the source unique, so that an incident
		// reopened after its freeze ended freezes again.
		f, err := incident.StartFreeze(ctx, h.DB, h.Sweeps, incident.Start{
			Owner: h.Owner, Repos: repos, Reason: reason, By: pagerDutyActor, Source: incidentSource(in.IncidentID) + in.EventID,
		}, now)
		return pdFrozen, f, err
	case pagerduty.End:
		if len(current) == 0 {
			return pdUnchanged, store.Freeze{}, nil
		}
		var last store.Freeze
		for _, f := range current {
			ended, err := incident.EndFreezes(ctx, h.DB, h.Sweeps, incident.End{Owner: h.Owner, ID: f.ID, By: pagerDutyActor, Source: incidentSource(in.IncidentID) + in.EventID}, now)
			if err != nil {
				return "", store.Freeze{}, err
			}
			if len(ended) > 0 {
				last = ended[0]
			}
		}
		return pdUnfrozen, last, nil
	}
	return "", store.Freeze{}, fmt.Errorf("pagerduty: unknown action %v", in.Action)
}

func (h *PagerDutyHandler) unavailable(w http.ResponseWriter, log *slog.Logger, err error) {
	log.Error("could not act on a PagerDuty event; PagerDuty retries it", "err", err)
	httpjson.Write(w, http.StatusServiceUnavailable, map[string]string{"error": "the event could not be stored; PagerDuty retries it"})
}
