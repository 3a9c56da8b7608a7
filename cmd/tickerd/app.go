package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/tickerd/tickerd/data"
	"github.com/tickerd/tickerd/feed"
	"github.com/tickerd/tickerd/feed/natsfeed"
	"github.com/tickerd/tickerd/portfolio"
	"github.com/tickerd/tickerd/web"
)

// The market prices trades and valuations and names their session.
var (
	_ portfolio.PriceSource  = (*feed.Market)(nil)
	_ portfolio.SessionClock = (*feed.Market)(nil)
)

// Main is the tickerd program: ParseFlags, then Run, then Close.
type Main struct {
	Config config
	Stdout io.Writer // demo credentials and the URL
	Stderr io.Writer // logs and usage
	Getenv func(string) (string, bool)

	log    *slog.Logger
	store  *portfolio.Store
	market *feed.Market
	server *web.Server
	ln     net.Listener
	debug  *http.Server
	dbgLn  net.Listener

	cluster cluster             // NATS parts of -role core and edge (cluster.go)
	corePub *natsfeed.Publisher // -role core: the market's ticks to NATS
	started chan struct{}       // closed once the server exists

	stopMarket context.CancelFunc
	wg         sync.WaitGroup
	done       chan error // the first fatal error of a background part
	closeOnce  sync.Once
	closeErr   error
}

// NewMain returns a Main writing to the process's stdout and stderr.
func NewMain() *Main {
	return &Main{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.LookupEnv, done: make(chan error, 4), started: make(chan struct{})}
}

// ParseFlags reads args and the TICKERD_* environment into m.Config. It
// returns flag.ErrHelp after printing the usage for -h/--help.
func (m *Main) ParseFlags(_ context.Context, args []string) error {
	cfg, err := parseConfig(args, m.Getenv, m.Stderr)
	if err != nil {
		return err
	}
	m.Config = cfg
	return nil
}

// Addr is the address the server listens on, once Run has returned.
func (m *Main) Addr() string { return m.ln.Addr().String() }

// DebugAddr is the debug listener's address once Run has returned, or ""
// when -debug-addr is off.
func (m *Main) DebugAddr() string {
	if m.dbgLn == nil {
		return ""
	}
	return m.dbgLn.Addr().String()
}

// Done delivers an error when a background part (HTTP server, market,
// debug server) stops unexpectedly.
func (m *Main) Done() <-chan error { return m.done }

// Run opens the database, starts the market and the HTTP server, and
// returns once they are running. Close stops them.
func (m *Main) Run(ctx context.Context) error {
	cfg := m.Config
	level, _ := parseLevel(cfg.LogLevel)
	m.log = newLogger(m.Stderr, cfg.LogFormat, level)
	raiseFileLimit(m.log)
	if err := loadTLS(&cfg); err != nil {
		return err
	}
	m.log.Info("role", "role", cfg.Cluster.Role)
	mctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	m.stopMarket = cancel

	if cfg.Cluster.Role == roleEdge {
		deps, err := m.startEdge(ctx, mctx)
		if err != nil {
			return err
		}
		return m.serve(cfg, deps, demo{})
	}

	store, err := m.openStore(ctx, cfg)
	if err != nil {
		return err
	}
	hub := feed.NewHub(cfg.Hub)
	alerts := portfolio.NewAlertWatch(store, 0, m.log)
	if err := alerts.Load(ctx); err != nil {
		return err
	}
	if err := m.newMarket(cfg, alertTap{next: hub, watch: alerts}); err != nil {
		return err
	}
	deps := web.Deps{Store: store, Market: m.market, Hub: hub, Alerts: alerts, Logger: m.log}
	if cfg.Cluster.Role == roleCore {
		if err := m.serveCore(mctx, &deps, hub); err != nil {
			return err
		}
	}

	var dm demo
	if cfg.Demo {
		if dm, err = setUpDemo(ctx, store, m.market, cfg.DemoPassword, demoPasswordFile(cfg.DB), m.log); err != nil {
			return fmt.Errorf("demo account: %w", err)
		}
	}

	m.goRun(func() {
		if err := m.market.Run(mctx); err != nil && !errors.Is(err, context.Canceled) {
			m.done <- fmt.Errorf("market: %w", err)
		}
	})
	if err := m.serve(cfg, deps, dm); err != nil {
		return err
	}
	// The alert watch ends with the market, before the store closes.
	m.goRun(func() { _ = alerts.Run(mctx, m.server.AlertFired) })
	return nil
}

// loadTLS loads -tls-cert and -tls-key into cfg.Web, when they are given.
func loadTLS(cfg *config) error {
	if cfg.TLSCert == "" {
		return nil
	}
	var err error
	cfg.Web.TLS, err = web.LoadTLSConfig(cfg.TLSCert, cfg.TLSKey)
	return err
}

// goRun runs f on a goroutine that Close waits for.
func (m *Main) goRun(f func()) {
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		f()
	}()
}

// openStore opens (creating it and its folder if need be) the database.
func (m *Main) openStore(ctx context.Context, cfg config) (*portfolio.Store, error) {
	if dir := filepath.Dir(cfg.DB); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("create database folder: %w", err)
		}
	}
	store, err := portfolio.Open(ctx, cfg.DB, portfolio.Options{
		StartingCash: int64(cfg.StartingCash), SessionTTL: cfg.SessionTTL, HashConcurrency: cfg.HashConc,
		HashBusy: hashProcs(cfg.HashConc),
	})
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	m.store = store
	return store, nil
}

// newMarket builds the simulated market (universe, seed, scenario) that
// publishes to publisher and, on a core, to NATS too.
func (m *Main) newMarket(cfg config, publisher feed.Publisher) error {
	syms, err := loadUniverse(cfg.SymbolsFile, cfg.UniverseSize)
	if err != nil {
		return err
	}
	seed := cfg.Seed
	if seed == 0 {
		seed = randomSeed()
	}
	var scenario *feed.Scenario
	if cfg.Scenario != "" {
		if scenario, err = feed.LoadScenario(cfg.Scenario, syms); err != nil {
			return err
		}
	}
	mcfg := feed.MarketConfig{
		Symbols: syms, Seed: seed, Speed: cfg.Speed, TicksPerSecond: cfg.TickRate,
		Publisher: publisher, Scenario: scenario,
		// Seqs start at the current time in microseconds, so a restarted
		// server's (or core's) ticks are newer than any its predecessor
		// sent, and a client resuming with an old run's seq is told it
		// missed ticks rather than replayed the new run's.
		SeqBase: uint64(time.Now().UnixMicro()),
	}
	if cfg.Cluster.Role == roleCore {
		if err := m.startCore(&mcfg); err != nil {
			return err
		}
	}
	if m.market, err = feed.NewMarket(mcfg); err != nil {
		return fmt.Errorf("create market: %w", err)
	}
	m.log.Info("market", "symbols", len(syms), "seed", seed, "speed", cfg.Speed, "tick_rate", cfg.TickRate)
	if scenario != nil {
		m.log.Info("scenario", "file", cfg.Scenario, "name", scenario.Name, "events", len(scenario.Events))
	}
	return nil
}

// serve listens on -addr and serves the HTTP surface built on deps, then
// the debug listener, and prints where it runs (and the demo account's
// credentials with -demo).
func (m *Main) serve(cfg config, deps web.Deps, dm demo) error {
	var err error
	m.ln, err = net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	m.server = web.New(cfg.Web, deps)
	close(m.started)
	if err := m.cluster.attach(m.server); err != nil {
		return err
	}
	m.goRun(func() {
		if err := m.server.Serve(m.ln); err != nil {
			m.done <- fmt.Errorf("serve: %w", err)
		}
	})
	if err := m.startDebug(); err != nil {
		return err
	}

	scheme := "http"
	if cfg.Web.TLS != nil {
		scheme = "https"
	}
	url := scheme + "://" + m.ln.Addr().String() + "/"
	m.log.Info("listening", "addr", m.ln.Addr().String(), "db", m.dbName(), "tls", cfg.Web.TLS != nil)
	fmt.Fprintf(m.Stdout, "tickerd is running at %s\n", url)
	if cfg.Demo {
		fmt.Fprintln(m.Stdout, dm.message())
	}
	return nil
}

// startDebug serves net/http/pprof and the metrics on a loopback-only
// listener, if asked.
func (m *Main) startDebug() error {
	addr := m.Config.DebugAddr
	if addr == "" {
		return nil
	}
	if err := checkLoopback(addr); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("debug listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.Handle("/metrics", m.server.Metrics())
	m.dbgLn = ln
	runtime.SetMutexProfileFraction(m.Config.MutexRate)
	runtime.SetBlockProfileRate(m.Config.BlockRate)
	m.debug = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	m.goRun(func() {
		if err := m.debug.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.done <- fmt.Errorf("debug server: %w", err)
		}
	})
	m.log.Info("debug listener: pprof and metrics", "addr", ln.Addr().String())
	return nil
}

// Close shuts down in order: stop accepting and close streams (1001),
// finish in-flight requests, stop the market, close the database.
func (m *Main) Close() error {
	m.closeOnce.Do(func() {
		var errs []error
		ctx, cancel := context.WithTimeout(context.Background(), m.grace())
		defer cancel()
		if m.server != nil {
			if err := m.server.Shutdown(ctx); err != nil {
				errs = append(errs, err)
			}
		} else if m.ln != nil {
			_ = m.ln.Close()
		}
		if m.debug != nil {
			_ = m.debug.Shutdown(ctx)
			runtime.SetMutexProfileFraction(0)
			runtime.SetBlockProfileRate(0)
		}
		if m.stopMarket != nil {
			m.stopMarket()
		}
		m.wg.Wait()
		m.cluster.close()
		if m.store != nil {
			if err := m.store.Close(); err != nil {
				errs = append(errs, fmt.Errorf("close database: %w", err))
			}
		}
		if m.log != nil {
			m.log.Info("stopped")
		}
		m.closeErr = errors.Join(errs...)
	})
	return m.closeErr
}

// dbName is the database file, or "none" on an edge.
func (m *Main) dbName() string {
	if m.store == nil {
		return "none"
	}
	return m.Config.DB
}

func (m *Main) grace() time.Duration {
	if g := m.Config.Web.ShutdownGrace; g > 0 {
		return g
	}
	return web.DefaultShutdownGrace
}

// randomSeed returns a non-zero random seed.
func randomSeed() int64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	s := int64(binary.LittleEndian.Uint64(b[:]) >> 1)
	if s == 0 {
		s = 1
	}
	return s
}

// parseLevel reads a slog level name.
func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.TrimSpace(s))); err != nil {
		return 0, fmt.Errorf("-log-level must be debug, info, warn or error, not %q", s)
	}
	return l, nil
}

// newLogger returns the process logger.
func newLogger(w io.Writer, format string, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// loadUniverse reads the symbol universe from path (the embedded
// data/symbols.csv when path is empty) and keeps its first size symbols
// (all when size is 0).
func loadUniverse(path string, size int) ([]feed.Symbol, error) {
	src := data.SymbolsCSV
	if path != "" {
		var err error
		if src, err = os.ReadFile(path); err != nil {
			return nil, fmt.Errorf("load symbols: %w", err)
		}
	}
	syms, err := feed.LoadUniverse(bytes.NewReader(src))
	if err != nil {
		return nil, fmt.Errorf("load symbols: %w", err)
	}
	if size > 0 && size < len(syms) {
		syms = syms[:size]
	}
	return syms, nil
}
