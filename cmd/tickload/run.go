package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"sync"
	"time"

	"github.com/fasthttp/websocket"
)

// Modes of load.
const (
	modeWS   = "ws"
	modeSSE  = "sse"
	modePoll = "poll"
)

// How ws clients read: a few epoll loops for all (Linux), or a goroutine
// blocked in the WebSocket library for each.
const (
	wsReaderEpoll     = "epoll"
	wsReaderGoroutine = "goroutine"
)

// Config is one run of the load tool.
type Config struct {
	URL                string        `json:"url"`
	Mode               string        `json:"mode"`
	Clients            int           `json:"clients"`
	Symbols            int           `json:"symbols"`
	Universe           int           `json:"universe,omitempty"` // draw symbols from the server's first N; 0: all
	Spread             string        `json:"spread"`
	Seed               int64         `json:"seed"`
	Ramp               time.Duration `json:"ramp_ns"`
	Duration           time.Duration `json:"duration_ns"`
	Interval           time.Duration `json:"interval_ns"`
	Accounts           int           `json:"accounts"`
	PerAccount         int           `json:"per_account"`
	UserPrefix         string        `json:"user_prefix"`
	Password           string        `json:"-"`
	AccountConcurrency int           `json:"account_concurrency"`
	SourceIPs          int           `json:"source_ips"`
	Timeout            time.Duration `json:"timeout_ns"`
	ServerPID          int           `json:"server_pid,omitempty"`
	WSReader           string        `json:"ws_reader,omitempty"`        // ws mode: epoll or goroutine
	WSBatch            time.Duration `json:"ws_batch_ns,omitempty"`      // epoll reader: shortest time between two waits
	Settle             time.Duration `json:"settle_ns,omitempty"`        // ws/sse: reading on after the window, for ticks of it in flight
	TickRate           float64       `json:"tick_rate"`                  // assumed server ticks per symbol per real second, for expected ticks; 0: from GET /api/v1/market
	ScenarioEvent      string        `json:"scenario_event,omitempty"`   // open the window once a market-wide event of this type is in force
	ScenarioWait       time.Duration `json:"scenario_wait_ns,omitempty"` // longest real wait for it after the ramp
	AllowRemote        bool          `json:"allow_remote,omitempty"`     // the server may be another host
	Centrifugo         string        `json:"centrifugo,omitempty"`       // ws mode: load this Centrifugo (http://HOST:PORT) with the server's ticks instead of the server's stream
	CentrifugoKey      string        `json:"-"`                          // its HTTP API key
	Progress           io.Writer     `json:"-"`                          // progress lines; nil for none
}

// env is what every client of a run shares. Clients only read it, apart from
// the atomic histograms and gauges.
type env struct {
	cfg    Config
	clk    *clock
	dialer *dialer
	host   string // host:port for the Host header
	origin string
	wsURL  string
	// wsDialer, when set, opens the ws clients' connections to Centrifugo
	// (centrifugo set), whose protocol they then speak.
	wsDialer   *dialer
	centrifugo bool
	tokens     []string
	syms       []string // per client, comma-joined
	lat        []*Histogram
	first      *firstSeen // each tick's first receipt, for the fan-out spread (ws/sse)
	stale      []*Histogram
	col        *collector
	wbuf       websocket.BufferPool
	poll       *wsPoller // ws mode's reader loops; nil: a goroutine per client

	attempts sync.WaitGroup
}

func (e *env) token(i int) string { return e.tokens[i%len(e.tokens)] }

// attempt records how client i's first connection attempt ended. Every
// client calls it exactly once.
func (e *env) attempt(ok bool) {
	if ok {
		e.col.connected.Add(1)
	} else {
		e.col.failed.Add(1)
	}
	e.attempts.Done()
}

// validate fills defaults and checks cfg; it returns the server's host:port.
func (cfg *Config) validate() (*url.URL, error) {
	switch cfg.Mode {
	case modeWS, modeSSE, modePoll:
	default:
		return nil, fmt.Errorf("unknown -mode %q (want ws, sse or poll)", cfg.Mode)
	}
	if cfg.Clients < 1 {
		return nil, fmt.Errorf("-clients must be at least 1")
	}
	if cfg.Symbols < 0 || (cfg.Symbols == 0 && cfg.Mode != modeWS) {
		return nil, fmt.Errorf("-symbols must be at least 1 (0 only in ws mode: idle connections)")
	}
	if cfg.Duration <= 0 || cfg.Ramp < 0 || (cfg.Mode == modePoll && cfg.Interval <= 0) {
		return nil, fmt.Errorf("-duration and -interval must be positive, -ramp not negative")
	}
	if cfg.PerAccount < 1 {
		cfg.PerAccount = 20
	}
	if cfg.Accounts <= 0 {
		cfg.Accounts = (cfg.Clients + cfg.PerAccount - 1) / cfg.PerAccount
	}
	cfg.Accounts = min(cfg.Accounts, cfg.Clients)
	switch cfg.WSReader {
	case "":
		cfg.WSReader = wsReaderEpoll
	case wsReaderEpoll, wsReaderGoroutine:
	default:
		return nil, fmt.Errorf("unknown -ws-reader %q (want epoll or goroutine)", cfg.WSReader)
	}
	if cfg.WSBatch < 0 || cfg.WSBatch > 100*time.Millisecond {
		return nil, fmt.Errorf("-ws-batch must be between 0 and 100ms")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.TickRate < 0 {
		return nil, fmt.Errorf("-tick-rate must not be negative")
	}
	if cfg.ScenarioEvent != "" && cfg.ScenarioWait <= 0 {
		cfg.ScenarioWait = time.Minute
	}
	if cfg.SourceIPs > 253 {
		cfg.SourceIPs = 253
	}
	u, err := cfg.serverURL()
	if err != nil {
		return nil, err
	}
	return u, cfg.validateCentrifugo()
}

// serverURL parses -url: an IPv4 loopback server unless -allow-remote
// (which also turns -source-ips off). It returns the URL with the host as
// an address.
func (cfg *Config) serverURL() (*url.URL, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "ws") || u.Port() == "" {
		return nil, fmt.Errorf("-url %q: want http://127.0.0.1:PORT", cfg.URL)
	}
	host := u.Hostname()
	if host == "localhost" {
		host = "127.0.0.1"
	}
	ip := net.ParseIP(host)
	switch {
	case ip != nil && ip.IsLoopback() && ip.To4() != nil:
	case cfg.AllowRemote:
		// Loopback source addresses cannot reach another host: let the
		// kernel choose, and let the server's per-IP caps apply.
		cfg.SourceIPs = 0
	default:
		return nil, fmt.Errorf("-url %q: only IPv4 loopback servers are allowed without -allow-remote", cfg.URL)
	}
	u.Host = net.JoinHostPort(host, u.Port())
	return u, nil
}

// conflated reads the server's conflation counter (ws/sse); false when
// there is none to read.
func (e *env) conflated(ctx context.Context, rc *restClient, progress func(string, ...any)) (float64, bool) {
	if e.cfg.Mode == modePoll || e.centrifugo {
		return 0, false
	}
	v, err := rc.counter(ctx, metricConflated)
	if err != nil { // e.g. a server run with -metrics=false: the figure is left out
		progress("warning: %v", err)
		return 0, false
	}
	return v, true
}

// wait sleeps through the window, printing the open connections every 5 s.
func (e *env) wait(ctx context.Context, d time.Duration, progress func(string, ...any)) {
	end := time.After(d)
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-end:
			return
		case <-tick.C:
			progress("%d open, %d failed", e.col.open.Load(), e.col.failed.Load())
		}
	}
}

// windowMarket reads the market as the window opens (ws/sse, or any mode
// with -scenario-event): with -scenario-event it first waits for the event
// and records it in rep; with -tick-rate 0 it takes the tick rate from the
// market. It returns nil when the market was not read.
func (e *env) windowMarket(ctx context.Context, rc *restClient, rep *Report, progress func(string, ...any)) (*marketState, error) {
	var m marketState
	switch {
	case e.cfg.ScenarioEvent != "":
		progress("waiting up to %s for a market-wide %s event", e.cfg.ScenarioWait, e.cfg.ScenarioEvent)
		t0 := time.Now()
		var ev MarketEvent
		var err error
		if m, ev, err = rc.untilEvent(ctx, e.cfg.ScenarioEvent, e.cfg.ScenarioWait); err != nil {
			return nil, err
		}
		rep.Scenario = &ScenarioRun{Name: m.Scenario.Name, Event: ev, WaitedS: time.Since(t0).Seconds()}
		progress("%s event of scenario %s in force (until %s simulated)", ev.Type, m.Scenario.Name, ev.End.Format(time.TimeOnly))
	case e.cfg.Mode != modePoll:
		var err error
		if m, err = rc.fetchMarket(ctx); err != nil {
			if e.cfg.TickRate == 0 {
				return nil, fmt.Errorf("%w (give -tick-rate)", err)
			}
			progress("warning: %v", err)
			return nil, nil
		}
	default:
		return nil, nil
	}
	if e.cfg.TickRate == 0 {
		e.cfg.TickRate = m.realTickRate()
		rep.Config.TickRate = e.cfg.TickRate
		rep.TickRateFrom = "GET /api/v1/market"
	} else {
		rep.TickRateFrom = "-tick-rate"
	}
	return &m, nil
}
