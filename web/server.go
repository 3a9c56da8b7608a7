// Package web is tickerd's HTTP surface: the REST API, the WebSocket and SSE
// price streams, and the embedded dashboard. Fiber types stop here.
package web

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/tickerd/tickerd/portfolio"
	"github.com/tickerd/tickerd/web/dashboard"
	"github.com/tickerd/tickerd/web/stream"
)

// Config is the HTTP surface's configuration. Zero values mean defaults;
// withDefaults is the one place they are applied.
type Config struct {
	AllowedOrigins []string      // extra origins allowed for WebSocket upgrades and cookie-authenticated writes
	BodyLimit      int           // max request body bytes
	ShutdownGrace  time.Duration // how long in-flight requests may take on shutdown
	SecureCookies  bool          // set the Secure attribute on the session cookie (behind TLS); implied by TLS
	MetricsOff     bool          // don't serve GET /metrics on this listener (Server.Metrics still works)

	// TLS, when set, makes Serve speak HTTPS and WSS only (LoadTLSConfig
	// builds it): session cookies are Secure and every response carries
	// Strict-Transport-Security.
	TLS *tls.Config

	// Connection caps, enforced when a connection is accepted (listener.go).
	MaxConns      int // open connections of every kind; 0 means DefaultMaxConns(), from the open-file limit
	MaxConnsPerIP int // open connections from one client IP; 0 means DefaultMaxConnsPerIP

	// TrustedProxies are the addresses or CIDR ranges (edges, load
	// balancers) whose X-Forwarded-For names the client. From any other
	// peer the header is ignored, so a client cannot pick the IP its rate
	// limits are counted against. Empty: the header is never trusted.
	TrustedProxies []string

	LoginPerIPPerMin    int // login attempts per client IP per minute
	LoginPerUserPerMin  int // login attempts per username per minute
	RegisterPerIPPerMin int // registrations per client IP per minute

	// Stream holds the WebSocket and SSE limits (announced in the welcome
	// frame); its defaults are the stream package's.
	Stream stream.Config
}

// Defaults of the REST part of Config.
const (
	DefaultBodyLimit           = 64 << 10
	DefaultShutdownGrace       = 10 * time.Second
	DefaultLoginPerIPPerMin    = 20
	DefaultLoginPerUserPerMin  = 10
	DefaultRegisterPerIPPerMin = 10
)

// withDefaults returns c with every field left at zero set to its default.
func (c Config) withDefaults() Config {
	if c.BodyLimit <= 0 {
		c.BodyLimit = DefaultBodyLimit
	}
	if c.ShutdownGrace <= 0 {
		c.ShutdownGrace = DefaultShutdownGrace
	}
	if c.MaxConns <= 0 {
		c.MaxConns = DefaultMaxConns()
	}
	if c.MaxConnsPerIP <= 0 {
		c.MaxConnsPerIP = DefaultMaxConnsPerIP
	}
	if c.LoginPerIPPerMin <= 0 {
		c.LoginPerIPPerMin = DefaultLoginPerIPPerMin
	}
	if c.LoginPerUserPerMin <= 0 {
		c.LoginPerUserPerMin = DefaultLoginPerUserPerMin
	}
	if c.RegisterPerIPPerMin <= 0 {
		c.RegisterPerIPPerMin = DefaultRegisterPerIPPerMin
	}
	if c.TLS != nil {
		c.SecureCookies = true
	}
	c.Stream = c.Stream.WithDefaults()
	return c
}

// Server is tickerd's HTTP server.
type Server struct {
	cfg      Config
	store    Store // nil on an edge
	sessions stream.Sessions
	market   Market
	events   Events // may be nil
	ready    func(context.Context) error
	log      *slog.Logger
	app      *fiber.App

	alerts *portfolio.AlertWatch // nil: no alert routes

	// core forwards the routes an edge does not serve itself (proxy.go);
	// nil on a node with a Store.
	core *coreProxy

	// metrics is the server's own Prometheus registry (metrics*.go).
	metrics *metrics

	// conns caps and counts the connections Serve accepts (conns.go).
	conns *conns

	// streams runs every open WebSocket and SSE connection after its
	// handshake (streams.go): logout closes a session's streams with 4001,
	// a fill revalues the account's, Shutdown closes them all with 1001.
	streams *stream.Registry

	loginPerIP    *limiter // login attempts by client IP
	loginPerUser  *limiter // login attempts by username
	registerPerIP *limiter // registrations by client IP
	etagSalt      [8]byte  // distinguishes ETags of different server runs

	// extraRoutes, when set (tests only), registers routes before the
	// catch-all ones, e.g. a handler that panics.
	extraRoutes func(api fiber.Router)
}

// Timeouts of the HTTP server. There is no write timeout: SSE responses are
// long-lived streams and WebSocket connections manage their own deadlines.
const (
	readTimeout = 30 * time.Second  // to read one whole request
	idleTimeout = 120 * time.Second // keep-alive connection without a request
)

// New builds the server and registers every route.
func New(cfg Config, deps Deps) *Server {
	return newServer(cfg, deps, nil)
}

func newServer(cfg Config, deps Deps, extra func(api fiber.Router)) *Server {
	cfg = cfg.withDefaults()
	logger := deps.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		cfg:           cfg,
		store:         deps.Store,
		sessions:      deps.Sessions,
		market:        deps.Market,
		events:        deps.Events,
		ready:         deps.Ready,
		log:           logger,
		loginPerIP:    newLimiter(cfg.LoginPerIPPerMin, time.Minute),
		loginPerUser:  newLimiter(cfg.LoginPerUserPerMin, time.Minute),
		registerPerIP: newLimiter(cfg.RegisterPerIPPerMin, time.Minute),
		extraRoutes:   extra,
		conns:         newConns(cfg.MaxConns, cfg.MaxConnsPerIP),
		alerts:        deps.Alerts,
	}
	if s.sessions == nil && deps.Store != nil {
		s.sessions = deps.Store
	}
	holdings := deps.Holdings
	if holdings == nil && deps.Store != nil {
		holdings = deps.Store
	}
	if deps.CoreURL != "" {
		s.core = newCoreProxy(deps.CoreURL, logger)
	}
	_, _ = rand.Read(s.etagSalt[:])
	s.app = fiber.New(fiber.Config{
		AppName: "tickerd",
		// A connection upgraded to WebSocket would otherwise keep the
		// 4 KiB HTTP read buffer for its lifetime (the WebSocket reader has
		// its own): with this, the buffer goes back to the pool when nothing
		// is buffered behind the upgrade request. Keep-alive connections
		// between requests hold no buffers either.
		ReduceMemoryUsage:     true,
		ErrorHandler:          s.handleError,
		BodyLimit:             cfg.BodyLimit,
		DisableStartupMessage: true,
		ReadTimeout:           readTimeout,
		IdleTimeout:           idleTimeout,
		// With trusted proxies, c.IP() is the first valid address of
		// X-Forwarded-For when the peer is one of them, the peer otherwise.
		ProxyHeader:             proxyHeader(cfg.TrustedProxies),
		EnableTrustedProxyCheck: len(cfg.TrustedProxies) > 0,
		TrustedProxies:          cfg.TrustedProxies,
		EnableIPValidation:      len(cfg.TrustedProxies) > 0,
		// Prefork stays off: one process owns the market and the hub.
	})
	s.streams = stream.NewRegistry(cfg.Stream, stream.Deps{
		Hub: deps.Hub, Market: deps.Market, Holdings: holdings, Sessions: s.sessions,
		Interest: deps.Interest, Logger: logger,
	})
	s.app.Server().ConnState = s.conns.setState
	logger.Info("connection limits", "max_conns", cfg.MaxConns, "max_conns_per_ip", cfg.MaxConnsPerIP)
	s.metrics = newMetrics(s, deps.Collectors)
	s.routes()
	return s
}

// proxyHeader is the header that names the client behind a trusted proxy,
// or "" when there is none.
func proxyHeader(trusted []string) string {
	if len(trusted) == 0 {
		return ""
	}
	return fiber.HeaderXForwardedFor
}

// routes is the route table. Handlers live in one file per area.
func (s *Server) routes() {
	if s.cfg.TLS != nil {
		s.app.Use(setHSTS)
	}
	s.app.Use(s.observe, s.recoverPanic, s.refuseAmbiguousLength)
	s.registerHealthRoutes(s.app)
	s.registerMetricsRoute(s.app)

	api := s.app.Group("/api/v1")
	if s.core != nil {
		s.registerEdgeRoutes(api)
		return
	}
	s.registerOpenAPIRoutes(api)
	s.registerAuthRoutes(api)
	s.registerPortfolioRoutes(api)
	s.registerWatchlistRoutes(api)
	if s.alerts != nil {
		s.registerAlertRoutes(api)
	}
	s.registerQuoteRoutes(api)
	s.registerMarketRoutes(api)
	s.registerStreamRoutes(api)
	if s.extraRoutes != nil {
		s.extraRoutes(api)
	}
	s.registerDashboard()
}

// registerDashboard serves the embedded page at / and its assets under
// /static/. A build whose page does not load keeps the API working and
// answers / with a problem.
func (s *Server) registerDashboard() {
	d, err := dashboard.Load()
	if err != nil {
		s.log.Error("dashboard unavailable", "err", err)
		s.app.Get("/", func(c *fiber.Ctx) error {
			return newProblem(codeInternal, "", "the dashboard is not available in this build")
		})
		return
	}
	d.Register(s.app)
}

// Handler exposes the Fiber app for tests (app.Test) and embedding.
func (s *Server) Handler() *fiber.App { return s.app }

// Serve accepts connections on ln until Shutdown, within the connection
// caps of Config; running out of descriptors delays accepting but never
// ends Serve. With Config.TLS every connection is TLS (HTTPS and WSS).
func (s *Server) Serve(ln net.Listener) error {
	capped := newListener(ln, s.conns, s.log)
	if s.cfg.TLS == nil {
		return s.app.Listener(capped)
	}
	capped.quietRefusals = true // a plain-text answer means nothing to a TLS client
	return s.app.Listener(tls.NewListener(capped, s.cfg.TLS))
}

// Shutdown stops accepting connections, closes WebSockets with 1001 and
// waits for in-flight requests until ctx is done.
func (s *Server) Shutdown(ctx context.Context) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.cfg.ShutdownGrace)
		defer cancel()
	}
	var errs []error
	if err := s.streams.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("close streams: %w", err))
	}
	s.conns.shutdown()
	if err := s.app.ShutdownWithContext(ctx); err != nil {
		errs = append(errs, fmt.Errorf("shut down http: %w", err))
	}
	return errors.Join(errs...)
}
