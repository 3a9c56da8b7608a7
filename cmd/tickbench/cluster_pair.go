package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// clusterTickRate is the cluster scenario's ticks per symbol per second.
const clusterTickRate = 2

// pair is a core (with the embedded NATS server) and one edge.
type pair struct {
	core, edge *server
	natsAddr   string
}

// startPair starts a core with an embedded NATS server, then an edge
// joined to it.
func (b *bench) startPair(ctx context.Context) (*pair, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	p := &pair{natsAddr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}
	p.core, err = b.startServer(ctx, clusterTickRate, "-role", "core", "-nats-listen", p.natsAddr, "-trusted-proxies", "127.0.0.1")
	if err != nil {
		return nil, fmt.Errorf("core: %w", err)
	}
	p.edge, err = b.startServer(ctx, clusterTickRate, "-role", "edge", "-nats-url", "nats://"+p.natsAddr, "-core-url", p.core.url)
	if err != nil {
		b.stopServer(p.core)
		return nil, fmt.Errorf("edge: %w", err)
	}
	return p, nil
}

// stop ends the edge, then the core.
func (b *bench) stopPair(p *pair) {
	b.stopServer(p.edge)
	b.stopServer(p.core)
}

// redact replaces the pair's addresses in a command line with names.
func (p *pair) redact(cmd string) string {
	return strings.NewReplacer(p.natsAddr, "127.0.0.1:$NATS_PORT", p.core.url, "http://127.0.0.1:$CORE_PORT").Replace(cmd)
}

// coreCommand is the core's command line, its port named $CORE_PORT.
func (p *pair) coreCommand() string {
	return strings.Replace(p.redact(p.core.command()), "127.0.0.1:$PORT", "127.0.0.1:$CORE_PORT", 1)
}

// snap is both servers' metrics and the core's CPU at one moment.
type snap struct {
	at         time.Time
	edge, core metrics
	coreCPU    time.Duration
	err        error
}

func (p *pair) snap(ctx context.Context) snap {
	s := snap{at: time.Now()}
	var e1, e2, e3 error
	s.edge, e1 = scrapeMetrics(ctx, p.edge.url)
	s.core, e2 = scrapeMetrics(ctx, p.core.url)
	s.coreCPU, e3 = procCPU(p.core.pid)
	s.err = errors.Join(e1, e2, e3)
	return s
}

// natsBetween is the NATS traffic from a to z.
func natsBetween(a, z snap) NATSTraffic {
	d := func(m func(snap) metrics, name string) float64 { return m(z).sum(name) - m(a).sum(name) }
	edge := func(s snap) metrics { return s.edge }
	core := func(s snap) metrics { return s.core }
	return NATSTraffic{
		Seconds:      z.at.Sub(a.at).Seconds(),
		Published:    d(core, "tickerd_cluster_ticks_published_total"),
		Received:     d(edge, "tickerd_cluster_ticks_received_total"),
		InBytes:      d(edge, "tickerd_cluster_nats_in_bytes_total"),
		CoreOutBytes: d(core, "tickerd_cluster_nats_out_bytes_total"),
	}
}

// rampBetween is what the edge asked the core from a to z.
func rampBetween(a, z snap) RPCRamp {
	const checks, rpc = "tickerd_cluster_session_checks_total", "tickerd_cluster_rpc_seconds"
	d := func(name string, want ...string) float64 {
		return z.edge.sum(name, want...) - a.edge.sum(name, want...)
	}
	return RPCRamp{
		Seconds:     z.at.Sub(a.at).Seconds(),
		CacheHits:   d(checks, "cache=hit"),
		CacheMisses: d(checks, "cache=miss"),
		Requests:    d(rpc+"_count", "method=!ping"),
		Auth:        d(rpc+"_count", "method=auth"),
		AuthSeconds: d(rpc+"_sum", "method=auth"),
		AuthBuckets: subBuckets(z.edge.buckets(rpc, "method=auth"), a.edge.buckets(rpc, "method=auth")),
		CoreCPUS:    (z.coreCPU - a.coreCPU).Seconds(),
	}
}

// pairLoad is one load run against a fresh pair, with the pair's metrics
// at the start of the ramp, at the start of the window and at the end.
type pairLoad struct {
	run                Run
	core               string // the core's command line
	ramp, window, done snap
	err                error
}

// loadPair starts a pair, runs spec against its edge and stops the pair.
// The metrics at the start of the ramp are scraped before tickload starts
// (its logins are REST requests forwarded over HTTP, not requests through
// NATS), so that no session check of the first clients can slip past them;
// only the time and the core's CPU are read when the ramp starts.
func (b *bench) loadPair(ctx context.Context, spec loadSpec) pairLoad {
	var pl pairLoad
	p, err := b.startPair(ctx)
	if err != nil {
		pl.run = spec.run(clusterTickRate)
		pl.run.Err, pl.err = err.Error(), err
		return pl
	}
	defer b.stopPair(p)
	pl.core = p.coreCommand()
	pl.ramp = p.snap(ctx)
	rampErr := errors.New("tickload never reported its ramp")
	pl.run = b.runLoadHooks(ctx, p.edge, spec, clusterTickRate,
		progressHook{rampOpens, func() {
			pl.ramp.at = time.Now()
			pl.ramp.coreCPU, rampErr = procCPU(p.core.pid)
		}},
		progressHook{windowOpens, func() { pl.window = p.snap(ctx) }})
	pl.done = p.snap(ctx)
	pl.run.Server = p.redact(pl.run.Server)
	if pl.window.at.IsZero() {
		pl.window.err = errors.New("tickload never reported its window")
	}
	pl.err = errors.Join(pl.ramp.err, rampErr, pl.window.err, pl.done.err)
	return pl
}

// corePct is the core's CPU from a to z, in % of one core.
func corePct(a, z snap) float64 {
	return per((z.coreCPU-a.coreCPU).Seconds(), z.at.Sub(a.at).Seconds()) * 100
}

// pairRound runs spec against a fresh pair and records it in r; it returns
// the core's command line, empty if the pair did not start.
func (b *bench) pairRound(ctx context.Context, spec loadSpec, r *ClusterRound) string {
	pl := b.loadPair(ctx, spec)
	r.Edge = pl.run
	if pl.err != nil {
		r.Err = pl.err.Error()
		return pl.core
	}
	r.NATS = natsBetween(pl.window, pl.done)
	r.CoreCPUPct = corePct(pl.window, pl.done)
	r.Ramp = pl.rampFigures(spec)
	return pl.core
}

// rampFigures are the ramp's requests, with its connections and accounts
// from the run and the core's CPU in the window as its baseline.
func (pl *pairLoad) rampFigures(spec loadSpec) RPCRamp {
	r := rampBetween(pl.ramp, pl.window)
	r.WindowCPUPct = corePct(pl.window, pl.done)
	if rep := pl.run.Report; rep != nil {
		r.Connections = rep.Clients.Connected
	}
	n := cmp.Or(spec.perAccount, defaultPerAccount)
	r.Accounts = (spec.clients + n - 1) / n
	return r
}

// sessionRamp is a pair whose n clients each hold their own session,
// connecting within a second: every connection is a session check the
// edge's cache cannot answer, as after an edge dies and its clients
// reconnect elsewhere.
func (b *bench) sessionRamp(ctx context.Context, n int) *SessionRamp {
	spec := loadSpec{name: fmt.Sprintf("cluster-sessions-%d", n), mode: "ws", clients: n, symbols: b.sz.symbols,
		ramp: time.Second, duration: min(b.sz.duration, 5*time.Second), perAccount: 1}
	pl := b.loadPair(ctx, spec)
	sr := &SessionRamp{Run: pl.run}
	if pl.err != nil {
		sr.Err = pl.err.Error()
		return sr
	}
	sr.Ramp = pl.rampFigures(spec)
	return sr
}
