// Command tickload puts load on a tickerd server and measures what clients
// receive: it logs accounts in, opens many WebSocket, SSE or polling clients
// over a ramp, and reports delivered quotes per second, end-to-end latency
// (or polling staleness), bytes per delivered quote at the socket, errors,
// and, given the server's pid, its CPU per delivered quote and memory per
// connection. For streams it also reports delivery: ticks delivered against
// those the server offered (exactly, from each symbol's seq as the window
// opens and closes) and against those expected at its nominal tick rate,
// the gaps clients saw in each symbol's seq, the drops the server announced, and the server's own
// conflation count, so a dropped tick cannot hide inside a throughput figure.
//
// It keeps its own cost down because it shares the machine with the server:
// it scans frames for what it reports instead of decoding them, and in ws
// mode on Linux a few epoll loops read every socket after the handshake,
// waking at most once per -ws-batch rather than once per frame.
//
// It only connects to loopback servers, spreading its source addresses over
// 127.0.0.2-127.0.0.254 so per-IP caps and ephemeral ports do not bind.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := mainErr(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "tickload:", err)
		os.Exit(1)
	}
}

// mainErr parses flags, runs the load and writes the reports. A run with
// client errors still reports, then fails.
func mainErr(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, jsonPath, quiet, cpuProfile, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	if !quiet {
		cfg.Progress = stderr
	}
	rep, err := run(ctx, cfg)
	if err != nil {
		return err
	}
	if err := rep.WriteTable(stdout); err != nil {
		return fmt.Errorf("print report: %w", err)
	}
	if jsonPath != "" {
		if err := rep.WriteJSON(jsonPath); err != nil {
			return err
		}
	}
	if rep.Clients.Connected == 0 {
		return fmt.Errorf("no client connected")
	}
	return nil
}

func parseFlags(args []string, stderr io.Writer) (cfg Config, jsonPath string, quiet bool, cpuProfile string, err error) {
	fs := flag.NewFlagSet("tickload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: tickload [flags]

Opens -clients clients against a tickerd server and measures them. The server
must be on loopback unless -allow-remote is given: a load test of another host
is a flood to whoever runs it, so aim it only at a server you run.
Clients connect evenly over -ramp; once all have connected (or failed), the
measurement window of -duration starts; rates, percentiles and bytes cover
that window. With -scenario-event TYPE the window opens only once a market-wide
event of that type is in force on the server's scenario (GET /api/v1/market).
Exits non-zero if no client connected.

Flags:
`)
		fs.PrintDefaults()
	}
	fs.StringVar(&cfg.URL, "url", "http://127.0.0.1:8080", "server base URL (IPv4 loopback, unless -allow-remote)")
	fs.BoolVar(&cfg.AllowRemote, "allow-remote", false, "allow a -url on another host; the load is real traffic to that host and its network: use it only against a server you run, never a shared or production one")
	fs.StringVar(&cfg.Mode, "mode", modeWS, "ws (WebSocket subscribe), sse (GET /api/v1/stream) or poll (GET /api/v1/quotes with If-None-Match)")
	fs.IntVar(&cfg.Clients, "clients", 100, "number of concurrent clients")
	fs.IntVar(&cfg.Symbols, "symbols", 10, "symbols per client (ws: 0 opens idle, unsubscribed connections)")
	fs.IntVar(&cfg.Universe, "universe", 0, "draw symbols only from the server's first N symbols (e.g. 10 of 50); 0 means all")
	fs.StringVar(&cfg.Spread, "spread", spreadRoundRobin, "how each client's symbols are drawn from the universe: round-robin (client i starts at symbol i*K: even load), uniform (K random distinct symbols, seeded by -seed) or same (all clients the first K)")
	fs.Int64Var(&cfg.Seed, "seed", 1, "seed for -spread uniform and poll start offsets")
	fs.DurationVar(&cfg.Ramp, "ramp", 5*time.Second, "time over which clients connect, evenly spaced")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, "measurement window, after every client has connected or failed")
	fs.DurationVar(&cfg.Interval, "interval", time.Second, "poll mode: time between requests of one client (each starts at a random offset)")
	fs.IntVar(&cfg.Accounts, "accounts", 0, "accounts to register and log in, shared round-robin by clients; 0 means clients/-per-account rounded up")
	fs.IntVar(&cfg.PerAccount, "per-account", 20, "connections per account when -accounts is 0 (keep at or below the server's per-user cap)")
	fs.StringVar(&cfg.UserPrefix, "user-prefix", "tickload", "account names are this prefix plus a 5-digit index")
	fs.StringVar(&cfg.Password, "password", "tickload-pass-2024", "password for every load account (registered if missing)")
	fs.IntVar(&cfg.AccountConcurrency, "account-concurrency", 4, "register/login requests in flight at once (password hashing is slow by design)")
	fs.IntVar(&cfg.SourceIPs, "source-ips", 253, "spread client source addresses over this many of 127.0.0.2-127.0.0.254; 0 lets the kernel choose")
	fs.DurationVar(&cfg.Timeout, "timeout", 10*time.Second, "dial, handshake and request timeout")
	fs.IntVar(&cfg.ServerPID, "server-pid", 0, "server process id: sample its CPU and RSS from /proc for CPU-ms per 1,000 quotes and RSS per connection")
	fs.StringVar(&cfg.WSReader, "ws-reader", wsReaderEpoll, "ws mode: epoll (a few epoll loops read every socket; Linux only, else falls back) or goroutine (one goroutine per client in the WebSocket library)")
	fs.DurationVar(&cfg.WSBatch, "ws-batch", time.Millisecond, "ws mode, epoll reader: wait for ready sockets at most once per this interval, so the tool wakes per batch rather than per frame; measured latency includes up to this much waiting (0: wake on every frame)")
	fs.DurationVar(&cfg.Settle, "settle", time.Second, "ws/sse: after the window, keep reading this long before closing, so the ticks the server produced in the window and still in flight count in delivered / offered (exact)")
	fs.Float64Var(&cfg.TickRate, "tick-rate", 0, "ws/sse: mean ticks per symbol per real second the server runs; used only for the expected-ticks figure, an assumption the tool cannot check (the server's ticks are random). 0 reads it from GET /api/v1/market (ticks_per_second × speed)")
	fs.StringVar(&cfg.ScenarioEvent, "scenario-event", "", "open the window only once a market-wide event of this type (e.g. shock) of the server's -scenario is in force, so the window covers it; fails when none is in force or due within -scenario-wait")
	fs.DurationVar(&cfg.ScenarioWait, "scenario-wait", time.Minute, "with -scenario-event: the longest real time to wait after the ramp for the event to start")
	fs.StringVar(&cfg.Centrifugo, "centrifugo", "", "ws mode: load the Centrifugo server at this URL (http://127.0.0.1:PORT) instead of -url's stream, for a comparison: clients speak Centrifugo's JSON protocol and subscribe to one channel per symbol, and the tool relays every tick of -url's market to Centrifugo's HTTP API (-url still serves the universe, logins and seqs)")
	fs.StringVar(&cfg.CentrifugoKey, "centrifugo-api-key", os.Getenv("TICKLOAD_CENTRIFUGO_API_KEY"), "with -centrifugo: its HTTP API key (env TICKLOAD_CENTRIFUGO_API_KEY)")
	fs.StringVar(&jsonPath, "json", "", "also write the report as JSON to this file")
	fs.StringVar(&cpuProfile, "cpuprofile", "", "write the load tool's own CPU profile to this file")
	fs.BoolVar(&quiet, "quiet", false, "no progress lines on stderr (the report is still printed)")
	if err := fs.Parse(args); err != nil {
		return cfg, "", false, "", err
	}
	if fs.NArg() > 0 {
		return cfg, "", false, "", fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	return cfg, jsonPath, quiet, cpuProfile, nil
}
