package main

import (
	"context"
	"fmt"
	"time"
)

// serveAndLoad starts a fresh server at tickRate, runs one tickload spec
// against it and stops the server.
func (b *bench) serveAndLoad(ctx context.Context, spec loadSpec, tickRate float64) Run {
	srv, err := b.startServer(ctx, tickRate)
	if err != nil {
		r := spec.run(tickRate)
		r.Err = err.Error()
		return r
	}
	defer b.stopServer(srv)
	return b.runLoad(ctx, srv, spec, tickRate, nil)
}

// serveAlertsAndLoad is serveAndLoad on a server given n active price
// alerts before the load starts.
func (b *bench) serveAlertsAndLoad(ctx context.Context, spec loadSpec, tickRate float64, n int) Run {
	srv, err := b.startServer(ctx, tickRate)
	if err == nil {
		defer b.stopServer(srv)
		err = b.seedAlerts(ctx, srv, n)
	}
	if err != nil {
		r := spec.run(tickRate)
		r.Err = fmt.Sprintf("%d alerts: %v", n, err)
		return r
	}
	return b.runLoad(ctx, srv, spec, tickRate, nil)
}

// runPushPoll is scenario 1: the same clients and symbols over WebSocket
// and polled at each interval, each on a fresh server at 2 ticks/s.
func (b *bench) runPushPoll(ctx context.Context) {
	b.res.PushPoll = b.pushPoll(ctx, 2, "pushpoll-", b.sz.pollIntervals, b.sz.duration)
}

// runPushPollRates is scenario 7: scenario 1's push and 1 s polling again
// at each sweep rate, from prices that change faster than clients poll to
// prices that change far more slowly, where most polls find nothing new.
func (b *bench) runPushPollRates(ctx context.Context) {
	b.res.PushPollRates = nil
	for _, rate := range b.sz.sweepRates {
		if ctx.Err() != nil {
			return
		}
		prefix := fmt.Sprintf("pushpollrate-%g-", rate)
		pp := b.pushPoll(ctx, rate, prefix, []time.Duration{time.Second}, b.sweepWindow(rate))
		b.res.PushPollRates = append(b.res.PushPollRates, pp)
	}
}

// sweepWindow is the measurement window at tickRate: long enough for the
// pool to tick about minSweepTicks times, so quiet rates are not judged on
// a handful of ticks, and at most maxSweepWindow.
func (b *bench) sweepWindow(tickRate float64) time.Duration {
	const minSweepTicks, maxSweepWindow = 60, 90 * time.Second
	if b.opts.quick {
		return b.sz.duration
	}
	need := time.Duration(minSweepTicks / (tickRate * float64(b.sz.pool)) * float64(time.Second))
	return min(max(b.sz.duration, need.Round(time.Second)), maxSweepWindow)
}

// pushPoll runs the push-versus-poll comparison at tickRate against
// polling at each interval, naming its runs with prefix.
func (b *bench) pushPoll(ctx context.Context, tickRate float64, prefix string, intervals []time.Duration, window time.Duration) *PushPoll {
	sz := b.sz
	pp := &PushPoll{Ran: time.Now().UTC(), TickRate: tickRate}
	ws := loadSpec{name: prefix + "ws", mode: "ws", clients: sz.pushClients, symbols: sz.symbols,
		ramp: sz.ramp(sz.pushClients), duration: window}
	pp.Push = b.serveAndLoad(ctx, ws, tickRate)
	for _, iv := range intervals {
		poll := ws
		poll.name, poll.mode, poll.interval = prefix+"poll-"+iv.String(), "poll", iv
		pp.Polls = append(pp.Polls, b.serveAndLoad(ctx, poll, tickRate))
	}
	return pp
}

// runFanout is scenario 2: the fan-out at each tick rate, then the step
// search at the first rate (reusing the run at the same client count).
func (b *bench) runFanout(ctx context.Context) {
	sz := b.sz
	fo := &Fanout{Ran: time.Now().UTC(), StepRate: sz.fanRates[0], StepP99Ms: sz.stepBoundMs}
	spec := func(name string, clients int) loadSpec {
		return loadSpec{name: name, mode: "ws", clients: clients, symbols: sz.symbols,
			ramp: sz.ramp(clients), duration: sz.duration}
	}
	for _, rate := range sz.fanRates {
		name := fmt.Sprintf("fanout-tick%g-%d", rate, sz.fanClients)
		fo.Rates = append(fo.Rates, b.serveAndLoad(ctx, spec(name, sz.fanClients), rate))
	}
	if sz.fanAlerts > 0 && ctx.Err() == nil {
		rate := sz.fanRates[0]
		run := b.serveAlertsAndLoad(ctx, spec(fmt.Sprintf("fanout-alerts%d-tick%g-%d", sz.fanAlerts, rate, sz.fanClients), sz.fanClients), rate, sz.fanAlerts)
		fo.WithAlerts, fo.AlertCount = &run, sz.fanAlerts
	}
	fo.StepNote = fmt.Sprintf("every step passed: the bound is above %d clients", slicesMax(sz.steps))
	for _, n := range sz.steps {
		if ctx.Err() != nil {
			fo.StepNote = "stopped: " + ctx.Err().Error()
			break
		}
		var run Run
		if n == sz.fanClients && len(fo.Rates) > 0 {
			run = fo.Rates[0]
		} else {
			run = b.serveAndLoad(ctx, spec(fmt.Sprintf("fanout-step-%d", n), n), fo.StepRate)
		}
		st := Step{Clients: n, Run: run}
		st.Pass, st.Why = judgeStep(run, n, fo.StepP99Ms)
		fo.Steps = append(fo.Steps, st)
		if !st.Pass {
			fo.StepNote = fmt.Sprintf("stopped at the first failing step (%d clients: %s)", n, st.Why)
			break
		}
		fo.MaxClients = n
	}
	b.res.Fanout = fo
}

// judgeStep says whether a step run held all n clients with p99 under
// boundMs, and why not.
func judgeStep(run Run, n int, boundMs float64) (bool, string) {
	r := run.Report
	switch {
	case r == nil:
		return false, "no report: " + run.Err
	case r.Clients.OpenAtEnd < int64(n):
		return false, fmt.Sprintf("%d of %d clients open at the end", r.Clients.OpenAtEnd, n)
	case r.Latency.P99 >= boundMs:
		return false, fmt.Sprintf("p99 %.1f ms", r.Latency.P99)
	}
	return true, fmt.Sprintf("p99 %.1f ms", r.Latency.P99)
}

// runMemory is scenario 3: idle WebSocket connections (no subscription).
func (b *bench) runMemory(ctx context.Context) {
	n := b.sz.memClients
	spec := loadSpec{name: fmt.Sprintf("memory-idle-%d", n), mode: "ws", clients: n, symbols: 0,
		ramp: b.sz.ramp(n), duration: min(b.sz.duration, 5*time.Second)}
	b.res.Memory = &Memory{Ran: time.Now().UTC(), Run: b.serveAndLoad(ctx, spec, 2)}
}

// latencyBatchLimit is the largest latency workload tickload reads frame by
// frame. At 10,000 clients reading per frame took the tool from about half
// a core to three quarters, and the server's p99 from 82 to 186 ms.
const latencyBatchLimit = 2000

// latencyBatch is tickload's -ws-batch for a latency workload of n clients.
func latencyBatch(n int) string {
	if n <= latencyBatchLimit {
		return "0s"
	}
	return "1ms"
}

// runLatency is scenario 8: issue 11's workloads, each run
// sizes.latencyRuns times on a fresh server, one workload after another.
// Up to latencyBatchLimit clients tickload reads every frame as it arrives
// (-ws-batch 0), so that its own batching wait is not in the latency; above
// it, reading per frame would cost the tool more CPU (on the server's
// cores) than the wait it saves, and it batches for 1 ms as elsewhere.
func (b *bench) runLatency(ctx context.Context) {
	sz := b.sz
	lt := &Latency{Ran: time.Now().UTC()}
	for _, w := range sz.latency {
		wl := LatencyWorkload{Clients: w.clients, Symbols: sz.symbols, TickRate: w.tickRate}
		for i := 1; i <= sz.latencyRuns; i++ {
			if ctx.Err() != nil {
				break
			}
			spec := loadSpec{name: fmt.Sprintf("latency-%d-tick%g-run%d", w.clients, w.tickRate, i), mode: "ws",
				clients: w.clients, symbols: sz.symbols, ramp: sz.ramp(w.clients), duration: sz.duration,
				wsBatch: latencyBatch(w.clients)}
			wl.Runs = append(wl.Runs, b.serveAndLoad(ctx, spec, w.tickRate))
		}
		lt.Workloads = append(lt.Workloads, wl)
	}
	b.res.Latency = lt
}
