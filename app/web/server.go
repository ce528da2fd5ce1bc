// Package web is Cascade's HTTP interface: the JSON API under /api/v1, the
// health and metrics endpoints, and the server-rendered pages. Handlers are
// thin: they parse the request, call a domain package and render the result.
package web

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/auth"
	"github.com/cascade-gate/cascade/app/kernel/audit"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/app/kernel/outbound"
	"github.com/cascade-gate/cascade/app/notify"
	"github.com/cascade-gate/cascade/catalog"
	"github.com/cascade-gate/cascade/catalog/offers"
	"github.com/cascade-gate/cascade/catalog/registry"
	"github.com/cascade-gate/cascade/catalog/verdicts"
	"github.com/cascade-gate/cascade/imports"
	"github.com/cascade-gate/cascade/procurement"
	"github.com/cascade-gate/cascade/vendors"
)

// MaxJSONBody bounds a JSON request body.
const MaxJSONBody = 1 << 20

// MaxRegistryBody bounds an uploaded registry file.
const MaxRegistryBody = 200 << 20

// Server serves Cascade over HTTP. It keeps no state of its own between
// requests: everything lives in the database, so replicas are interchangeable.
// (The one exception, the token cache of auth.Service, is bounded in age and
// dropped on every replica by a revocation: docs/SECURITY.md.)
type Server struct {
	db         *gorm.DB
	auth       *auth.Service
	suppliers  *vendors.Store
	products   *catalog.Store
	audit      *audit.Log
	importer   *imports.Importer
	batches    *imports.Store
	registries *registry.Store
	fetcher    registry.Fetcher // every registry fetch goes through it (AllowOutbound)
	verdicts   *verdicts.Service
	// gateVerdicts answers GET /api/v1/gate, the tills' hot path, with its look-up
	// prepared once (a prepared-statement session) instead of per request.
	gateVerdicts *verdicts.Service
	disputes     *offers.Service
	procurement  *procurement.Service
	webhooks     *notify.Store
	log          *slog.Logger
	registry     *prometheus.Registry
	auditHead    *auditHead
	engine       *gin.Engine

	publicFacts bool // anyone may read the security facts of allowed products (SetPublicFacts)

	importLimits imports.Limits
	uploadDir    string // where uploads wait while they are imported; "" = the OS temp dir

	// Imports run in the background; shutdown cancels them (their batches
	// end failed, nothing half-stored) after waiting a while for them to finish.
	background *imports.Background
}

// New builds the server and its routes on db.
func New(db *gorm.DB, log *slog.Logger) *Server {
	gin.SetMode(gin.ReleaseMode)
	s := &Server{
		db:           db,
		auth:         auth.NewService(db),
		suppliers:    vendors.NewStore(db),
		products:     catalog.NewStore(db),
		audit:        audit.NewLog(db),
		importer:     imports.New(db, imports.DefaultLimits),
		batches:      imports.NewStore(db),
		registries:   registry.NewStore(db),
		fetcher:      registry.NewFetcher(outbound.Policy{}),
		verdicts:     verdicts.New(db),
		gateVerdicts: verdicts.New(db.Session(&gorm.Session{PrepareStmt: true})),
		disputes:     offers.NewService(db),
		procurement:  procurement.New(db),
		webhooks:     notify.NewStore(db),
		log:          log,
		registry:     prometheus.NewRegistry(),
		auditHead:    newAuditHead(),

		importLimits: imports.DefaultLimits,
	}
	s.importer.OnCommit = verdicts.AfterImport
	s.background = imports.NewBackground(s.importer, s.logImportFailure)
	s.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), s.auditHead)
	s.engine = s.routes(newMetrics(s.registry))
	return s
}

// AllowOutbound sets what the server's outgoing requests (registry
// fetches) may reach: by default no loopback, private or other internal
// network, only those p allows.
func (s *Server) AllowOutbound(p outbound.Policy) {
	s.fetcher = registry.NewFetcher(p)
}

// TrustProxies names the reverse proxies (IPs or CIDRs) whose
// X-Forwarded-For header gives the client's address. By default none is
// trusted and the address is the connection's.
func (s *Server) TrustProxies(proxies []string) error {
	if err := s.engine.SetTrustedProxies(proxies); err != nil {
		return errs.Invalidf("INVALID_TRUSTED_PROXY", "trusted proxies %q: %v", proxies, err)
	}
	return nil
}

// Drain waits for background imports until ctx ends, then cancels the rest.
func (s *Server) Drain(ctx context.Context) { s.background.Drain(ctx) }

// Handler returns the root HTTP handler.
func (s *Server) Handler() http.Handler { return s.engine }

// Routes lists every registered method and path, for tests that must cover them all.
func (s *Server) Routes() gin.RoutesInfo { return s.engine.Routes() }

// Serve listens on addr until ctx is cancelled, then drains in-flight
// requests for up to 20 seconds before returning.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.engine,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute, // large supplier uploads
		WriteTimeout:      5 * time.Minute, // streamed exports
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down: draining requests")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	s.Drain(shutdownCtx)
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
