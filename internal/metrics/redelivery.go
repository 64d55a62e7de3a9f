package metrics

import "github.com/prometheus/client_golang/prometheus"

// Redelivery measures the job that asks GitHub to redeliver webhook
// deliveries that never reached mergeguard (GitHub does not retry them).
type Redelivery struct {
	// Requested counts redeliveries GitHub accepted to make.
	Requested prometheus.Counter
	// Errors counts redelivery requests GitHub refused or never answered.
	Errors prometheus.Counter
	// GaveUp counts deliveries still missing after every allowed request.
	GaveUp prometheus.Counter
	// Missed is how many deliveries the last run found failed and not
	// received (those it asked for included, until GitHub redelivers them).
	Missed prometheus.Gauge
	// LastRun is when the job last finished listing GitHub's deliveries.
	LastRun prometheus.Gauge
}

func newRedelivery(reg *prometheus.Registry) *Redelivery {
	r := &Redelivery{
		Requested: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mergeguard_redeliveries_requested_total",
			Help: "Webhook deliveries mergeguard asked GitHub to redeliver because they failed and never reached it.",
		}),
		Errors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mergeguard_redelivery_request_errors_total",
			Help: "Redelivery requests GitHub refused or did not answer.",
		}),
		GaveUp: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mergeguard_redeliveries_given_up_total",
			Help: "Webhook deliveries still missing after the allowed redelivery requests; they need an operator.",
		}),
		Missed: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "mergeguard_missed_deliveries",
			Help: "Failed webhook deliveries that never reached mergeguard, as of the last redelivery run (excluding those given up).",
		}),
		LastRun: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "mergeguard_redelivery_last_run_timestamp_seconds",
			Help: "When the redelivery job last listed GitHub's webhook deliveries (Unix time).",
		}),
	}
	reg.MustRegister(r.Requested, r.Errors, r.GaveUp, r.Missed, r.LastRun)
	return r
}
