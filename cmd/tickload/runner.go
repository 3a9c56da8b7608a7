package main

import (
	"context"
	"fmt"
	"net/url"
	"runtime"
	"sync"
	"time"
)

// run logs the accounts in, opens the clients over the ramp, measures for
// the duration once all have connected (or failed), closes them and reports.
func run(ctx context.Context, cfg Config) (Report, error) {
	u, err := cfg.validate()
	if err != nil {
		return Report{}, err
	}
	r := newRunner(cfg, u)
	universe, err := r.prepare(ctx)
	if err != nil {
		return r.rep, err
	}
	fwd, err := r.e.startForwarder(ctx, universe) // nil unless -centrifugo
	if err != nil {
		return r.rep, err
	}
	defer fwd.stop()

	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := r.startPoller(cctx); err != nil {
		return r.rep, err
	}
	defer func() { cancel(); r.e.poll.wait() }() // a no-op on the normal path
	clients, t0 := r.openClients(ctx, cctx)
	mkt, err := r.e.windowMarket(ctx, r.rc, &r.rep, r.progress)
	if err != nil {
		return r.rep, err
	}
	r.progress("%d connected, %d failed in %s; measuring for %s",
		r.e.col.connected.Load(), r.e.col.failed.Load(), time.Since(t0).Round(time.Millisecond), cfg.Duration)
	w := r.measure(ctx)
	cancel()
	clients.Wait()
	r.e.poll.wait()
	r.rep.Forward = fwd.stop()
	r.finish(mkt, w)
	return r.rep, nil
}

// runner carries one run from phase to phase: what its clients share, the
// server's REST API, the report being filled and the server's samples.
type runner struct {
	cfg   Config
	e     *env
	rc    *restClient
	rep   Report
	srv   ServerUsage
	tool0 time.Duration // the tool's CPU as the run began
}

// newRunner sets up a run of cfg against the server at u (validated).
func newRunner(cfg Config, u *url.URL) *runner {
	r := &runner{cfg: cfg, tool0: selfCPU()}
	r.rep = Report{Config: cfg, Started: time.Now(), Accounts: cfg.Accounts, Errors: map[string]int64{}, Closes: map[int]int64{}}
	r.rep.Clients.Target = cfg.Clients
	r.rep.OpenFiles.Soft, r.rep.OpenFiles.Hard, r.rep.OpenFiles.Warning = raiseNoFile(uint64(cfg.Clients + cfg.Accounts + 64))
	if r.rep.OpenFiles.Warning != "" {
		r.progress("warning: %s", r.rep.OpenFiles.Warning)
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
	r.e = e
	r.rc = newRESTClient("http://"+u.Host, e.dialer)
	return r
}

// progress prints a progress line, if the run has somewhere to print it.
func (r *runner) progress(format string, a ...any) {
	if r.cfg.Progress != nil {
		fmt.Fprintf(r.cfg.Progress, format+"\n", a...)
	}
}

// sample reads the server's CPU and memory into into (with -server-pid).
func (r *runner) sample(into *procSample) {
	if r.cfg.ServerPID == 0 {
		return
	}
	s, err := sampleProc(r.cfg.ServerPID)
	if err != nil {
		r.rep.Errors["server_sample"]++
		r.progress("warning: %v", err)
	}
	*into = s
}

// prepare reads the server's symbols, gives each client its own, and logs
// the accounts in, sampling the server before and after the logins. It
// returns the symbols the run draws from.
func (r *runner) prepare(ctx context.Context) ([]string, error) {
	universe, err := r.rc.fetchSymbols(ctx)
	if err != nil {
		return nil, err
	}
	if universe, err = limitUniverse(universe, r.cfg.Universe); err != nil {
		return nil, err
	}
	if r.e.syms, err = assignSymbols(universe, r.cfg.Clients, r.cfg.Symbols, r.cfg.Spread, r.cfg.Seed); err != nil {
		return nil, err
	}
	r.e.first = newFirstSeen(universe)
	// The idle baseline comes before the logins: password hashing briefly
	// takes memory that the server hands back later, at its own pace.
	r.sample(&r.srv.Baseline)
	r.progress("logging in %d accounts", r.cfg.Accounts)
	if r.e.tokens, err = r.rc.loginAll(ctx, r.cfg.Accounts, r.cfg.AccountConcurrency, r.cfg.UserPrefix, r.cfg.Password); err != nil {
		return nil, err
	}
	r.sample(&r.srv.PreConnect)
	return universe, nil
}

// startPoller starts the epoll reader loops of ws mode (-ws-reader epoll);
// they run until ctx ends.
func (r *runner) startPoller(ctx context.Context) error {
	if r.cfg.Mode != modeWS || r.cfg.WSReader != wsReaderEpoll {
		return nil
	}
	if !epollSupported {
		r.progress("warning: -ws-reader epoll needs Linux; reading with a goroutine per client")
		return nil
	}
	var err error
	r.e.poll, err = newWSPoller(ctx, runtime.GOMAXPROCS(0), r.cfg.WSBatch)
	return err
}

// openClients starts the clients over the ramp, client i at i/N of it,
// each on a goroutine of its own (in ws mode with the epoll reader, only
// until it has subscribed) that runs until cctx ends. It returns once every
// client has connected or failed and the ramp is over (or ctx ended), with
// the clients' goroutines and the ramp's start.
func (r *runner) openClients(ctx, cctx context.Context) (*sync.WaitGroup, time.Time) {
	cfg, e := r.cfg, r.e
	var clients sync.WaitGroup
	e.attempts.Add(cfg.Clients)
	r.progress("opening %d %s clients over %s", cfg.Clients, cfg.Mode, cfg.Ramp)
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
	return &clients, t0
}

// window is what the measurement window measured around itself.
type window struct {
	d, cpu time.Duration // its length, and the tool's CPU in it
	seqs   *windowSeqs   // the server's seqs as it opened and closed
	// The server's conflation counter as it opened and closed; ok when
	// both were read.
	conflated0, conflated1 float64
	ok                     bool
}

// measure runs the measurement window, then reads on for -settle (ws/sse)
// for the ticks of the window still in flight. The server's conflation
// counter is read around it (ws/sse), so that drops it decided are reported
// with what clients saw; so are its seqs, which bound the ticks it offered.
func (r *runner) measure(ctx context.Context) window {
	e := r.e
	w := window{seqs: newWindowSeqs(r.cfg.Mode)}
	var ok0, ok1 bool
	w.conflated0, ok0 = e.conflated(ctx, r.rc, r.progress)
	r.rep.Clients.OpenAtStart = e.col.open.Load()
	r.sample(&r.srv.Start)
	w.seqs.read(ctx, r.rc, &w.seqs.s0)
	w0, cpu0 := time.Now(), selfCPU()
	e.clk.set(phaseMeasure)
	e.wait(ctx, r.cfg.Duration, r.progress)
	e.clk.set(phaseDrain)
	w.d, w.cpu = time.Since(w0), selfCPU()-cpu0
	w.seqs.read(ctx, r.rc, &w.seqs.s1)
	r.sample(&r.srv.End)
	w.conflated1, ok1 = e.conflated(ctx, r.rc, r.progress)
	w.ok = ok0 && ok1
	r.rep.Clients.OpenAtEnd = e.col.open.Load()
	if r.cfg.Mode != modePoll {
		settle(ctx, r.cfg.Settle)
	}
	return w
}

// finish fills the report once every client has ended: the clients'
// figures, delivery (unless a tick-rate event overlapped the window, which
// makes the expected count meaningless), the server's conflation and the
// tool's own CPU.
func (r *runner) finish(mkt *marketState, w window) {
	rep := &r.rep
	rep.ToolCPUS = (selfCPU() - r.tool0).Seconds()
	rateEvents := false
	if mkt != nil {
		from := mkt.Clock
		to := from.Add(time.Duration(float64(w.d) * mkt.Speed))
		rateEvents = mkt.rateDuring(from, to)
		if sc := rep.Scenario; sc != nil {
			sc.RateEvents, sc.Inside = rateEvents, !to.After(sc.Event.End)
			if !sc.Inside {
				r.progress("warning: the window outlasted the %s event: give a shorter -duration", sc.Event.Type)
			}
		}
	}
	r.e.fill(rep, w.d, r.srv, w.seqs)
	if d := rep.Delivery; d != nil && rateEvents {
		d.Expected, d.DeliveredPct = 0, 0
		d.ExpectedNA = "a rate event overlapped the window"
	}
	if d := rep.Delivery; d != nil && w.ok {
		n := int64(w.conflated1 - w.conflated0)
		d.ServerConflated = &n
	}
	rep.ToolCPU = ToolCPU{
		S:          w.cpu.Seconds(),
		Pct:        100 * ratio(w.cpu.Seconds(), w.d.Seconds()),
		UsPerFrame: ratio(float64(w.cpu)/float64(time.Microsecond), float64(rep.Quotes.Frames)),
	}
}
