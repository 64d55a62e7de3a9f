package metrics

import "github.com/prometheus/client_golang/prometheus"

// Intake measures what the server holds for clients it has not yet
// answered, and what it refused because a limit was reached: the signs of
// an intake that is saturated, by load or by clients that send slowly.
type Intake struct {
	// BodyBytes is the memory held now for request bodies being read.
	BodyBytes prometheus.Gauge
	// Connections is the number of open connections on the main listener.
	Connections prometheus.Gauge
	// Refused counts requests and connections refused because a limit was
	// reached, by the limit.
	Refused *prometheus.CounterVec
}

// Reason labels of Intake.Refused.
const (
	// RefusedBodyMemory: the memory for all request bodies was in use.
	RefusedBodyMemory = "body_memory"
	// RefusedAddressMemory: the client's address held its share of it.
	RefusedAddressMemory = "address_memory"
	// RefusedAddressConnections: the client's address had as many
	// connections open as it may.
	RefusedAddressConnections = "address_connections"
)

func newIntake(reg *prometheus.Registry) *Intake {
	in := &Intake{
		BodyBytes: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "mergeguard_intake_body_bytes",
			Help: "Memory held now for webhook request bodies being read (MERGEGUARD_INTAKE_BUFFER_BYTES bounds it).",
		}),
		Connections: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "mergeguard_intake_connections",
			Help: "Open connections on the main listener (webhook, coverage uploads, health).",
		}),
		Refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mergeguard_intake_refused_total",
			Help: "Requests and connections refused because an intake limit was reached, by limit (body_memory, address_memory, address_connections).",
		}, []string{"reason"}),
	}
	reg.MustRegister(in.BodyBytes, in.Connections, in.Refused)
	return in
}
