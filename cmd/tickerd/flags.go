package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tickerd/tickerd/feed"
	"github.com/tickerd/tickerd/portfolio"
	"github.com/tickerd/tickerd/web"
	"github.com/tickerd/tickerd/web/stream"
)

// config is everything the flags set.
type config struct {
	Addr         string
	DB           string
	Seed         int64 // 0: random (the one chosen is logged)
	Speed        float64
	TickRate     float64
	SymbolsFile  string         // CSV universe replacing the embedded one; "" means data/symbols.csv
	UniverseSize int            // serve only the first N symbols of the universe; 0 means all
	Scenario     string         // scenario file (YAML or JSON) the market plays; "" means none
	Hub          feed.HubConfig // replay history and write delay
	StartingCash cents
	SessionTTL   time.Duration
	HashConc     int
	LogLevel     string
	LogFormat    string
	Demo         bool
	DemoPassword string
	DebugAddr    string
	MutexRate    int    // runtime.SetMutexProfileFraction while the debug listener runs; 0 off
	BlockRate    int    // runtime.SetBlockProfileRate (ns) while the debug listener runs; 0 off
	Metrics      bool   // serve /metrics on Addr (the debug listener always does)
	TLSCert      string // PEM certificate chain; with TLSKey, serve HTTPS and WSS
	TLSKey       string // PEM private key of TLSCert
	Web          web.Config
	Cluster      clusterConfig
}

// envPrefix turns a flag name into its env twin: tick-rate → TICKERD_TICK_RATE.
const envPrefix = "TICKERD_"

// maxWriteDelay bounds -write-delay: a live feed that holds ticks longer
// is not live, and a symbol ticking fast would fill its queue of a few
// ticks per client and be conflated for clients that keep up.
const maxWriteDelay = 100 * time.Millisecond

func envName(flagName string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// newFlagSet declares every flag on cfg with its default.
func newFlagSet(cfg *config, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("tickerd", flag.ContinueOnError)
	fs.SetOutput(out)
	cfg.StartingCash = portfolio.DefaultStartingCash
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:8080", "address to listen on (host:port)")
	fs.StringVar(&cfg.DB, "db", "data/tickerd.db", "SQLite database file, created on first start")
	fs.Int64Var(&cfg.Seed, "seed", 0, "random seed of the simulated market; 0 picks one at random and logs it")
	fs.Float64Var(&cfg.Speed, "speed", 1, "simulated seconds per real second")
	fs.Float64Var(&cfg.TickRate, "tick-rate", feed.DefaultTicksPerSecond, "mean ticks per symbol per simulated second")
	fs.IntVar(&cfg.Hub.ReplayTicks, "replay-ticks", feed.DefaultReplayTicks, "ticks held per symbol for clients that resume after a reconnect (subscribe with since); 0 keeps none")
	fs.DurationVar(&cfg.Hub.ReplayWindow, "replay-window", feed.DefaultReplayWindow, "how long a held tick stays replayable; the smaller of this and -replay-ticks applies")
	fs.DurationVar(&cfg.Hub.WriteDelay, "write-delay", 0, "hold each tick up to this long (at most 100ms) so that a client's ticks share WebSocket frames and SSE writes: less CPU per quote for more latency (docs/BENCHMARKS.md measures the trade); 0 writes a tick as soon as the client's socket can take it")
	fs.StringVar(&cfg.SymbolsFile, "symbols-file", "", "CSV file of the symbol universe (ticker,name,sector,price,volatility,drift); empty means the built-in one")
	fs.IntVar(&cfg.UniverseSize, "universe-size", 0, "serve only the first N symbols of the universe file; 0 means all")
	fs.StringVar(&cfg.Scenario, "scenario", "", "scenario file (YAML or JSON) of market events to play from the start, e.g. data/scenarios/flash-crash.yaml (see docs/SCENARIOS.md); empty means none")
	fs.Var(&cfg.StartingCash, "starting-cash", "cash of a new account in dollars, e.g. 100000.00")
	fs.DurationVar(&cfg.SessionTTL, "session-ttl", portfolio.DefaultSessionTTL, "how long a login session lasts")
	fs.IntVar(&cfg.HashConc, "hash-concurrency", 0, "password hashes computed at once, each on a low-priority thread, with one more Go processor per hash while hashing runs (unless GOMAXPROCS is set); 0 means one per 2 CPUs")
	fs.StringVar(&cfg.LogLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&cfg.LogFormat, "log-format", "text", "log format: text or json")
	fs.BoolVar(&cfg.Demo, "demo", false, "create the account \"demo\" with a sample portfolio once, and print its password when it is new; later starts keep the password (and its sessions), which is kept in the file <db>.demo-password")
	fs.StringVar(&cfg.DemoPassword, "demo-password", "", "with -demo, the demo account's password instead of a generated one (nothing is written to disk)")
	fs.StringVar(&cfg.DebugAddr, "debug-addr", "", "loopback address for net/http/pprof and /metrics (e.g. 127.0.0.1:6060); empty means off")
	fs.IntVar(&cfg.MutexRate, "debug-mutex-fraction", 0, "with -debug-addr: sample 1 in N contended mutex waits for /debug/pprof/mutex (runtime.SetMutexProfileFraction); 0 means off")
	fs.IntVar(&cfg.BlockRate, "debug-block-rate", 0, "with -debug-addr: sample blocking events, about one per N nanoseconds blocked, for /debug/pprof/block (runtime.SetBlockProfileRate; 1 records every one); 0 means off")
	fs.BoolVar(&cfg.Metrics, "metrics", true, "serve Prometheus metrics at /metrics on -addr too; false keeps them on -debug-addr only")
	fs.StringVar(&cfg.TLSCert, "tls-cert", "", "PEM certificate chain file: serve HTTPS and WSS on -addr (TLS 1.2 or later, Secure cookies, HSTS); needs -tls-key")
	fs.StringVar(&cfg.TLSKey, "tls-key", "", "PEM private key file of -tls-cert; needs -tls-cert")
	clusterFlags(fs, cfg)
	webFlags(fs, &cfg.Web)
	fs.Usage = func() { usage(fs) }
	return fs
}

// clusterFlags declares the flags of a cluster's roles (docs/CLUSTER.md).
func clusterFlags(fs *flag.FlagSet, cfg *config) {
	cl := &cfg.Cluster
	fs.StringVar(&cl.Role, "role", roleAll, "all: one process, no NATS; core: owns the database and the market and publishes them over NATS; edge: serves streams from the core's ticks and forwards every other route to -core-url (docs/CLUSTER.md)")
	fs.StringVar(&cl.NATSURL, "nats-url", "", "NATS server(s) to join, e.g. nats://10.0.0.5:4222[,nats://...]; a core with -nats-listen uses its own when empty")
	fs.StringVar(&cl.NATSListen, "nats-listen", "", "core only: run an embedded NATS server on this host:port (e.g. 0.0.0.0:4222) for edges to join")
	fs.StringVar(&cl.CoreURL, "core-url", "", "edge only: base URL of the core's HTTP server, e.g. http://10.0.0.5:8080")
	fs.StringVar(&cl.Name, "cluster-name", defaultClusterName, "prefix of every NATS subject, so several clusters can share one NATS")
	fs.DurationVar(&cl.EdgeLinger, "edge-linger", feed.DefaultReplayWindow, "edge only: how long the edge keeps receiving a symbol's ticks after its last stream let go of it (a client reconnecting within it resumes from the edge's history)")
	fs.Func("trusted-proxies", "comma-separated addresses or CIDR ranges (edges, load balancers) whose X-Forwarded-For names the client; empty trusts none",
		func(v string) error { cfg.Web.TrustedProxies = splitList(v); return nil })
}

// webFlags declares the HTTP server's and the streams' flags.
func webFlags(fs *flag.FlagSet, w *web.Config) {
	fs.Func("allowed-origins", "comma-separated extra origins allowed for WebSocket upgrades and cookie-authenticated writes (e.g. https://app.example.com)",
		func(v string) error { w.AllowedOrigins = splitList(v); return nil })
	fs.IntVar(&w.BodyLimit, "body-limit", web.DefaultBodyLimit, "largest request body in bytes")
	fs.DurationVar(&w.ShutdownGrace, "shutdown-grace", web.DefaultShutdownGrace, "how long in-flight requests may finish on shutdown")
	fs.BoolVar(&w.SecureCookies, "secure-cookies", false, "mark the session cookie Secure (when served over TLS)")
	fs.IntVar(&w.MaxConns, "max-conns", 0, "open connections at once (HTTP, WebSocket, SSE); more are refused with 503; 0 means nine tenths of the open-file limit (raised to the hard limit at start), keeping at least 64 descriptors back")
	fs.IntVar(&w.MaxConnsPerIP, "max-conns-per-ip", web.DefaultMaxConnsPerIP, "open connections from one client IP; more are refused with 429")
	fs.IntVar(&w.LoginPerIPPerMin, "login-per-ip-per-min", web.DefaultLoginPerIPPerMin, "login attempts per client IP per minute")
	fs.IntVar(&w.LoginPerUserPerMin, "login-per-user-per-min", web.DefaultLoginPerUserPerMin, "login attempts per username per minute")
	fs.IntVar(&w.RegisterPerIPPerMin, "register-per-ip-per-min", web.DefaultRegisterPerIPPerMin, "account registrations per client IP per minute")
	st := &w.Stream
	fs.DurationVar(&st.Heartbeat, "ws-heartbeat", stream.DefaultHeartbeat, "WebSocket ping (SSE keep-alive) interval")
	fs.IntVar(&st.MaxSymbols, "ws-max-symbols", stream.DefaultMaxSymbols, "symbols one stream may subscribe to")
	fs.IntVar(&st.MaxMessageBytes, "ws-max-message-bytes", stream.DefaultMaxMessageBytes, "largest inbound WebSocket message")
	fs.IntVar(&st.MaxMessagesPerS, "ws-max-messages-per-s", stream.DefaultMaxMessagesPerS, "inbound WebSocket messages per second")
	fs.IntVar(&st.MaxConnsPerUser, "ws-max-conns-per-user", stream.DefaultMaxConnsPerUser, "open streams per account")
	fs.IntVar(&st.MaxConnsPerIP, "ws-max-conns-per-ip", stream.DefaultMaxConnsPerIP, "open streams per client IP")
	fs.DurationVar(&st.SlowClientWindow, "ws-slow-client-window", stream.DefaultSlowClientWindow, "how long a stream may stay behind before it is closed with 1013")
}

// parseConfig parses args, then fills every flag not given on the command
// line from its env twin: flag beats env beats default. lookupEnv is
// os.LookupEnv outside tests.
func parseConfig(args []string, lookupEnv func(string) (string, bool), out io.Writer) (config, error) {
	var cfg config
	fs := newFlagSet(&cfg, out)
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q (see --help)", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] {
			return
		}
		name := envName(f.Name)
		if v, ok := lookupEnv(name); ok {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %w", name, v, err))
			}
		}
	})
	if err := errors.Join(errs...); err != nil {
		return cfg, err
	}
	fs.Visit(func(f *flag.Flag) { cfg.Cluster.LingerSet = cfg.Cluster.LingerSet || f.Name == "edge-linger" }) // by flag or by environment
	cfg.Web.MetricsOff = !cfg.Metrics
	return cfg, cfg.validate()
}

// validate checks values a flag type cannot.
func (c config) validate() error {
	switch {
	case c.Speed <= 0:
		return errors.New("-speed must be positive")
	case c.TickRate <= 0:
		return errors.New("-tick-rate must be positive")
	case c.Hub.ReplayTicks < 0:
		return errors.New("-replay-ticks must not be negative")
	case c.Hub.ReplayWindow <= 0:
		return errors.New("-replay-window must be positive")
	case c.Hub.WriteDelay < 0 || c.Hub.WriteDelay > maxWriteDelay:
		return fmt.Errorf("-write-delay must be between 0 and %v", maxWriteDelay)
	case c.UniverseSize < 0:
		return errors.New("-universe-size must not be negative")
	case c.StartingCash < 0:
		return errors.New("-starting-cash must not be negative")
	case c.SessionTTL <= 0:
		return errors.New("-session-ttl must be positive")
	case c.Web.MaxConns < 0:
		return errors.New("-max-conns must not be negative")
	case c.Web.MaxConnsPerIP <= 0:
		return errors.New("-max-conns-per-ip must be positive")
	case c.MutexRate < 0 || c.BlockRate < 0:
		return errors.New("-debug-mutex-fraction and -debug-block-rate must not be negative")
	case (c.MutexRate > 0 || c.BlockRate > 0) && c.DebugAddr == "":
		return errors.New("-debug-mutex-fraction and -debug-block-rate need -debug-addr")
	case c.Web.BodyLimit <= 0:
		return errors.New("-body-limit must be positive")
	case c.TLSCert != "" && c.TLSKey == "":
		return errors.New("-tls-cert needs -tls-key (the certificate's private key)")
	case c.TLSKey != "" && c.TLSCert == "":
		return errors.New("-tls-key needs -tls-cert (the certificate chain)")
	case c.LogFormat != "text" && c.LogFormat != "json":
		return fmt.Errorf("-log-format must be text or json, not %q", c.LogFormat)
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		return err
	}
	if err := c.Cluster.validate(c); err != nil {
		return err
	}
	if c.DebugAddr != "" {
		return checkLoopback(c.DebugAddr)
	}
	return nil
}

// checkLoopback accepts host:port only when host is a loopback address or
// "localhost": the debug listener serves profiles and must never be reachable
// from another machine.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-debug-addr: %w", err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("-debug-addr must be a loopback address, not %q", addr)
	}
	return nil
}

func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// usage prints what each flag does, its env twin and its default.
func usage(fs *flag.FlagSet) {
	out := fs.Output()
	fmt.Fprint(out, `tickerd: a stock-ticker dashboard server (REST + WebSocket) over a simulated market.

Usage: tickerd [flags]

Every flag can also be set by its environment variable; a flag given on the
command line wins over the variable, which wins over the default.

`)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  FLAG\tENV\tDEFAULT\tMEANING")
	fs.VisitAll(func(f *flag.Flag) {
		def := f.DefValue
		if def == "" {
			def = `""`
		}
		fmt.Fprintf(tw, "  -%s\t%s\t%s\t%s\n", f.Name, envName(f.Name), def, f.Usage)
	})
	_ = tw.Flush()
}

// cents is a flag.Value of dollars with at most two decimals, kept exactly
// as integer cents.
type cents int64

func (c *cents) String() string {
	if c == nil {
		return "0.00"
	}
	v := int64(*c)
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

func (c *cents) Set(s string) error {
	s = strings.TrimPrefix(strings.TrimSpace(s), "$")
	whole, frac, hasFrac := strings.Cut(s, ".")
	if whole == "" || strings.ContainsAny(s, "+-") || (hasFrac && (len(frac) == 0 || len(frac) > 2)) {
		return fmt.Errorf("want dollars with at most two decimals, e.g. 100000.00")
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > 1_000_000_000_000 {
		return fmt.Errorf("want dollars with at most two decimals, e.g. 100000.00")
	}
	var f int64
	if hasFrac {
		if len(frac) == 1 {
			frac += "0"
		}
		if f, err = strconv.ParseInt(frac, 10, 64); err != nil || f < 0 {
			return fmt.Errorf("want dollars with at most two decimals, e.g. 100000.00")
		}
	}
	*c = cents(w*100 + f)
	return nil
}
