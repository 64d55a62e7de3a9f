// Package server is mergeguard's HTTP server: its routes, health and
// readiness, the coverage upload endpoint, the freezes API, the PagerDuty
// receiver, and graceful shutdown.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/mergeguard/mergeguard/internal/httpjson"
	"github.com/mergeguard/mergeguard/internal/intake"
	"github.com/mergeguard/mergeguard/internal/metrics"
)

// Check is one readiness condition.
type Check struct {
	Name  string
	Check func(ctx context.Context) error
}

// Config holds the server's dependencies.
type Config struct {
	Webhook http.Handler
	// Coverage receives coverage reports from CI (nil: not served).
	Coverage http.Handler
	// Freezes serves the freezes API and PagerDuty the PagerDuty receiver
	// (nil: not served).
	Freezes   http.Handler
	PagerDuty http.Handler
	// UI serves the web view under /ui/ (nil: not served).
	UI      http.Handler
	Ready   []Check
	Metrics *metrics.Metrics
	Log     *slog.Logger
	// ShutdownTimeout bounds how long in-flight requests may take on shutdown.
	ShutdownTimeout time.Duration
	// SeparateMetrics serves /metrics only from MetricsHandler, so it can
	// listen on an address that is not exposed with the webhook.
	SeparateMetrics bool
	// ConnectionsPerAddress bounds the connections one address keeps open
	// on the main listener; 0 means no bound.
	ConnectionsPerAddress int
}

// Server serves mergeguard's routes.
type Server struct {
	cfg     Config
	handler http.Handler
	metrics http.Handler
}

// New builds the server.
func New(cfg Config) *Server {
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 10 * time.Second
	}
	s := &Server{cfg: cfg}
	s.handler, s.metrics = s.routes()
	return s
}

// routes lists every route the server answers: the main routes and, when
// metrics are separate, the metrics listener's.
func (s *Server) routes() (main, metricsOnly http.Handler) {
	metrics := promhttp.HandlerFor(s.cfg.Metrics.Registry, promhttp.HandlerOpts{})
	mux := http.NewServeMux()
	mux.Handle("POST /webhook", s.cfg.Webhook)
	if s.cfg.Coverage != nil {
		mux.Handle("POST /api/v1/coverage", s.cfg.Coverage)
	}
	if s.cfg.Freezes != nil {
		mux.Handle("POST /api/v1/freezes", s.cfg.Freezes)
		mux.Handle("GET /api/v1/freezes", s.cfg.Freezes)
		mux.Handle("DELETE /api/v1/freezes/{id}", s.cfg.Freezes)
	}
	if s.cfg.PagerDuty != nil {
		mux.Handle("POST /api/v1/pagerduty", s.cfg.PagerDuty)
	}
	if s.cfg.UI != nil {
		mux.Handle("/ui/", s.cfg.UI)
	}
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	if !s.cfg.SeparateMetrics {
		mux.Handle("GET /metrics", metrics)
		return s.recoverPanics(mux), nil
	}
	m := http.NewServeMux()
	m.Handle("GET /metrics", metrics)
	m.HandleFunc("GET /healthz", s.healthz)
	return s.recoverPanics(mux), s.recoverPanics(m)
}

// Handler returns the main routes, for tests and embedding.
func (s *Server) Handler() http.Handler { return s.handler }

// healthz answers while the process can serve HTTP at all.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	httpjson.Write(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 only when every dependency is usable, so a load
// balancer sends no deliveries to a replica that cannot store them.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	checks := map[string]string{}
	status := http.StatusOK
	for _, c := range s.cfg.Ready {
		if err := c.Check(ctx); err != nil {
			checks[c.Name] = err.Error()
			status = http.StatusServiceUnavailable
			s.cfg.Log.Warn("readiness check failed", "check", c.Name, "err", err)
			continue
		}
		checks[c.Name] = "ok"
	}
	httpjson.Write(w, status, map[string]any{"ready": status == http.StatusOK, "checks": checks})
}

func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.cfg.Log.Error("panic while serving a request", "path", r.URL.Path, "delivery_id", r.Header.Get("X-GitHub-Delivery"), "panic", fmt.Sprint(v))
				httpjson.Write(w, http.StatusInternalServerError, map[string]string{"error": "internal error"})
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// Serve serves the main routes on ln until ctx ends, then stops accepting
// connections and waits for in-flight requests (up to ShutdownTimeout).
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	limited := intake.Listen(ln, intake.Limits{ConnectionsPerAddress: s.cfg.ConnectionsPerAddress}, s.cfg.Metrics.Intake, s.cfg.Log)
	return s.serve(ctx, limited, s.handler, limited.ConnState)
}

// ServeMetrics serves /metrics on ln until ctx ends (SeparateMetrics only).
func (s *Server) ServeMetrics(ctx context.Context, ln net.Listener) error {
	if s.metrics == nil {
		return errors.New("metrics are served with the main routes")
	}
	return s.serve(ctx, ln, s.metrics, nil)
}

func (s *Server) serve(ctx context.Context, ln net.Listener, h http.Handler, connState func(net.Conn, http.ConnState)) error {
	srv := &http.Server{
		Handler:   h,
		ConnState: connState,
		// Headers must arrive within the header timeout; the webhook sets a
		// deadline for its body by the body's length (intake.BodyTimeout),
		// and ReadTimeout bounds the rest (coverage uploads).
		ReadHeaderTimeout: intake.HeaderTimeout,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.cfg.Log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("http shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
