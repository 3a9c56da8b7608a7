package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"runtime"
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
	return u, cfg.validateCentrifugo()
}

// run logs the accounts in, opens the clients over the ramp, measures for
// the duration once all have connected (or failed), closes them and reports.
func run(ctx context.Context, cfg Config) (Report, error) {
	u, err := cfg.validate()
	if err != nil {
		return Report{}, err
	}
	progress := func(format string, a ...any) {
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, format+"\n", a...)
		}
	}
	rep := Report{Config: cfg, Started: time.Now(), Accounts: cfg.Accounts, Errors: map[string]int64{}, Closes: map[int]int64{}}
	rep.Clients.Target = cfg.Clients
	tool0 := selfCPU()
	rep.OpenFiles.Soft, rep.OpenFiles.Hard, rep.OpenFiles.Warning = raiseNoFile(uint64(cfg.Clients + cfg.Accounts + 64))
	if rep.OpenFiles.Warning != "" {
		progress("warning: %s", rep.OpenFiles.Warning)
	}

	e := &env{
		cfg:    cfg,
		clk:    &clock{},
		dialer: &dialer{server: u.Host, sourceIPs: cfg.SourceIPs, timeout: cfg.Timeout},
		host:   u.Host,
		origin: "http://" + u.Host,
		wsURL:  "ws://" + u.Host + "/api/v1/ws",
		col:    &collector{},
		wbuf:   &sync.Pool{},
	}
	e.useCentrifugo()
	e.col.clk = e.clk
	for range 16 {
		e.lat = append(e.lat, &Histogram{})
		e.stale = append(e.stale, &Histogram{})
	}
	rc := newRESTClient("http://"+u.Host, e.dialer)
	universe, err := rc.fetchSymbols(ctx)
	if err != nil {
		return rep, err
	}
	if universe, err = limitUniverse(universe, cfg.Universe); err != nil {
		return rep, err
	}
	if e.syms, err = assignSymbols(universe, cfg.Clients, cfg.Symbols, cfg.Spread, cfg.Seed); err != nil {
		return rep, err
	}
	e.first = newFirstSeen(universe)
	var srv ServerUsage
	sample := func(into *procSample) {
		if cfg.ServerPID == 0 {
			return
		}
		s, err := sampleProc(cfg.ServerPID)
		if err != nil {
			rep.Errors["server_sample"]++
			progress("warning: %v", err)
		}
		*into = s
	}
	// The idle baseline comes before the logins: password hashing briefly
	// takes memory that the server hands back later, at its own pace.
	sample(&srv.Baseline)
	progress("logging in %d accounts", cfg.Accounts)
	if e.tokens, err = rc.loginAll(ctx, cfg.Accounts, cfg.AccountConcurrency, cfg.UserPrefix, cfg.Password); err != nil {
		return rep, err
	}
	sample(&srv.PreConnect)
	fwd, err := e.startForwarder(ctx, universe) // nil unless -centrifugo
	if err != nil {
		return rep, err
	}
	defer fwd.stop()

	// Ramp: client i starts at i/N of the ramp. One goroutine per client
	// (in ws mode with the epoll reader, only until it has subscribed).
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if cfg.Mode == modeWS && cfg.WSReader == wsReaderEpoll {
		if !epollSupported {
			progress("warning: -ws-reader epoll needs Linux; reading with a goroutine per client")
		} else if e.poll, err = newWSPoller(cctx, runtime.GOMAXPROCS(0), cfg.WSBatch); err != nil {
			return rep, err
		}
	}
	defer func() { cancel(); e.poll.wait() }() // a no-op on the normal path
	var clients sync.WaitGroup
	e.attempts.Add(cfg.Clients)
	progress("opening %d %s clients over %s", cfg.Clients, cfg.Mode, cfg.Ramp)
	t0 := time.Now()
	for i := range cfg.Clients {
		if wait := time.Until(t0.Add(cfg.Ramp * time.Duration(i) / time.Duration(cfg.Clients))); wait > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(wait):
			}
		}
		if ctx.Err() != nil {
			e.attempts.Add(i - cfg.Clients) // never started
			break
		}
		clients.Go(func() {
			st := &clientStats{client: i}
			switch cfg.Mode {
			case modeWS:
				e.runWS(cctx, i, st) // adds st when the connection ends
				return
			case modeSSE:
				e.runSSE(cctx, i, st)
			case modePoll:
				e.runPoll(cctx, i, st)
			}
			e.col.add(st)
		})
	}
	e.attempts.Wait()
	if rest := time.Until(t0.Add(cfg.Ramp)); rest > 0 && ctx.Err() == nil {
		time.Sleep(rest)
	}
	mkt, err := e.windowMarket(ctx, rc, &rep, progress)
	if err != nil {
		return rep, err
	}
	progress("%d connected, %d failed in %s; measuring for %s",
		e.col.connected.Load(), e.col.failed.Load(), time.Since(t0).Round(time.Millisecond), cfg.Duration)

	// The measurement window. The server's conflation counter is read
	// around it (ws/sse), so that drops it decided are reported with what
	// clients saw; so are its seqs, which bound the ticks it offered.
	scrape := func() (float64, bool) { return e.conflated(ctx, rc, progress) }
	seqs := newWindowSeqs(cfg.Mode)
	conflated0, ok0 := scrape()
	rep.Clients.OpenAtStart = e.col.open.Load()
	sample(&srv.Start)
	seqs.read(ctx, rc, &seqs.s0)
	w0, cpu0 := time.Now(), selfCPU()
	e.clk.set(phaseMeasure)
	e.wait(ctx, cfg.Duration, progress)
	e.clk.set(phaseDrain)
	window, windowCPU := time.Since(w0), selfCPU()-cpu0
	seqs.read(ctx, rc, &seqs.s1)
	sample(&srv.End)
	conflated1, ok1 := scrape()
	rep.Clients.OpenAtEnd = e.col.open.Load()
	if cfg.Mode != modePoll {
		settle(ctx, cfg.Settle)
	}
	cancel()
	clients.Wait()
	e.poll.wait()
	rep.Forward = fwd.stop()
	rep.ToolCPUS = (selfCPU() - tool0).Seconds()
	rateEvents := false
	if mkt != nil {
		from := mkt.Clock
		to := from.Add(time.Duration(float64(window) * mkt.Speed))
		rateEvents = mkt.rateDuring(from, to)
		if sc := rep.Scenario; sc != nil {
			sc.RateEvents, sc.Inside = rateEvents, !to.After(sc.Event.End)
			if !sc.Inside {
				progress("warning: the window outlasted the %s event: give a shorter -duration", sc.Event.Type)
			}
		}
	}
	e.fill(&rep, window, srv, seqs)
	if d := rep.Delivery; d != nil && rateEvents {
		d.Expected, d.DeliveredPct = 0, 0
		d.ExpectedNA = "a rate event overlapped the window"
	}
	if d := rep.Delivery; d != nil && ok0 && ok1 {
		n := int64(conflated1 - conflated0)
		d.ServerConflated = &n
	}
	rep.ToolCPU = ToolCPU{
		S:          windowCPU.Seconds(),
		Pct:        100 * ratio(windowCPU.Seconds(), window.Seconds()),
		UsPerFrame: ratio(float64(windowCPU)/float64(time.Microsecond), float64(rep.Quotes.Frames)),
	}
	return rep, nil
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
