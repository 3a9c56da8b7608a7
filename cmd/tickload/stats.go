package main

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// clientStats is what one client saw. Its reader goroutine owns it until it
// returns; then the collector merges it.
type clientStats struct {
	client      int              // its index
	connected   bool             // its connection opened
	quotes      [numPhases]int64 // delivered updates (not snapshots)
	snapshots   int64            // snapshot quotes (ws/sse subscribe, first poll)
	frames      [numPhases]int64 // frames, events or 200 responses carrying quotes
	requests    [numPhases]int64 // poll: HTTP requests answered
	notModified [numPhases]int64 // poll: 304 answers
	reconnects  int64            // poll: connections reopened after the server closed one
	errors      map[string]int64 // by kind, e.g. "dial", "http_401", "close_1008"
	closes      map[int]int64    // WebSocket closes by code while the run was on
	bytes       [numPhases]int64 // copied from the socket counter(s)
	seq         seqTracker       // ws/sse: gaps in each symbol's seq
}

func (s *clientStats) fail(kind string) {
	if s.errors == nil {
		s.errors = make(map[string]int64, 1)
	}
	s.errors[kind]++
}

func (s *clientStats) closed(code int) {
	if s.closes == nil {
		s.closes = make(map[int]int64, 1)
	}
	s.closes[code]++
	s.fail("close_" + strconv.Itoa(code))
}

// addBytes adds a socket's byte counts; call it once per socket, after the
// socket's last read.
func (s *clientStats) addBytes(c *countingConn) {
	if c == nil {
		return
	}
	for p := range c.bytes {
		s.bytes[p] += c.bytes[p]
	}
}

// collector merges the stats of finished clients and keeps the live
// connection gauges that the progress line shows.
type collector struct {
	connected atomic.Int64 // clients that connected at least once
	failed    atomic.Int64 // clients that never connected
	open      atomic.Int64 // clients connected right now
	clk       *clock       // the run's phase; nil: no window clients are kept

	mu     sync.Mutex
	sum    clientStats
	window []windowClient // clients collected after the window opened, for the exact offered figure
}

func (c *collector) add(s *clientStats) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s.connected && c.clk != nil && c.clk.now() != phaseRamp {
		c.window = append(c.window, windowClient{client: s.client, syms: s.seq.last})
	}
	for p := range s.quotes {
		c.sum.quotes[p] += s.quotes[p]
		c.sum.frames[p] += s.frames[p]
		c.sum.requests[p] += s.requests[p]
		c.sum.notModified[p] += s.notModified[p]
		c.sum.bytes[p] += s.bytes[p]
	}
	c.sum.seq.add(&s.seq)
	c.sum.snapshots += s.snapshots
	c.sum.reconnects += s.reconnects
	for k, v := range s.errors {
		c.sum.fail(k)
		c.sum.errors[k] += v - 1
	}
	for k, v := range s.closes {
		if c.sum.closes == nil {
			c.sum.closes = make(map[int]int64)
		}
		c.sum.closes[k] += v
	}
}

// total returns a copy of the merged stats and the clients collected after
// the window opened; call it after every client has been added.
func (c *collector) total() (clientStats, []windowClient) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sum, c.window
}

// fill computes the report's figures from the merged stats of a finished run.
func (e *env) fill(r *Report, window time.Duration, srv ServerUsage, seqs *windowSeqs) {
	s, clients := e.col.total()
	r.WindowS = window.Seconds()
	r.Clients.Connected = e.col.connected.Load()
	r.Clients.Failed = e.col.failed.Load()

	for p := range numPhases {
		r.Quotes.Total += s.quotes[p]
		r.Bytes.Total += s.bytes[p]
	}
	r.Quotes.Snapshots = s.snapshots
	r.Quotes.Window = s.quotes[phaseMeasure]
	r.Quotes.Frames = s.frames[phaseMeasure]
	r.Quotes.PerS = perSecond(r.Quotes.Window, window)
	r.Quotes.PerFrame = ratio(float64(r.Quotes.Window), float64(r.Quotes.Frames))
	r.Bytes.Window = s.bytes[phaseMeasure]
	r.Bytes.PerQuote = ratio(float64(r.Bytes.Window), float64(r.Quotes.Window))
	if e.cfg.Mode != modePoll {
		r.Delivery = delivery(&s.seq, r.Quotes.Window, r.Clients.OpenAtStart*int64(e.cfg.Symbols), e.cfg.TickRate, window)
		e.exact(r.Delivery, seqs, clients)
	}

	e.fillLatency(r)
	if e.cfg.Mode == modePoll {
		r.HTTP = &HTTPCounts{
			Requests:    s.requests[phaseMeasure],
			NotModified: s.notModified[phaseMeasure],
			PerS:        perSecond(s.requests[phaseMeasure], window),
			Reconnects:  s.reconnects,
		}
	}

	for k, v := range s.errors {
		r.Errors[k] += v
	}
	for k, v := range s.closes {
		r.Closes[k] += v
	}
	r.ErrorsN = 0
	for _, v := range r.Errors {
		r.ErrorsN += v
	}

	if e.cfg.ServerPID != 0 {
		srv.PID = e.cfg.ServerPID
		cpu := srv.End.CPU - srv.Start.CPU
		srv.CPUS = cpu.Seconds()
		srv.CPUPct = 100 * ratio(cpu.Seconds(), window.Seconds())
		srv.CPUMsPer1k = ratio(float64(cpu)/float64(time.Millisecond), float64(r.Quotes.Window)/1000)
		srv.RSSPerConn = ratio(float64(srv.End.RSSBytes-srv.Baseline.RSSBytes), float64(r.Clients.OpenAtEnd))
		r.Server = &srv
	}
}

// fillLatency merges the latency histograms into r: receipt minus ts, and
// the fan-out spread and first receipts (ws/sse) or the staleness (poll).
func (e *env) fillLatency(r *Report) {
	merged := func(hs []*Histogram) Percentiles {
		all := &Histogram{}
		for _, h := range hs {
			all.Merge(h)
		}
		return percentiles(all)
	}
	r.Latency = merged(e.lat)
	if e.cfg.Mode == modePoll {
		st := merged(e.stale)
		r.Staleness = &st
	} else if e.first != nil {
		sp, fl := percentiles(e.first.later), percentiles(e.first.first)
		r.Spread, r.FirstLatency = &sp, &fl
	}
}

// delivery compares the ticks delivered in the window with the ticks
// expected at the assumed rate and with the gaps clients saw in seq.
func delivery(t *seqTracker, delivered, subs int64, rate float64, window time.Duration) *Delivery {
	d := &Delivery{
		TickRate:      rate,
		Subscriptions: subs,
		Expected:      float64(subs) * rate * window.Seconds(),
		Delivered:     delivered,
		SeqGaps:       t.gaps[phaseMeasure],
		SeqMissing:    t.missing[phaseMeasure],
		Dropped:       t.dropped[phaseMeasure],
		Unannounced:   t.unannounced[phaseMeasure],
		SeqBackwards:  t.backwards[phaseMeasure],
	}
	d.DeliveredPct = 100 * ratio(float64(delivered), d.Expected)
	d.DeliveredSeqPct = 100 * ratio(float64(delivered), float64(delivered+d.SeqMissing))
	return d
}

func perSecond(n int64, d time.Duration) float64 { return ratio(float64(n), d.Seconds()) }

// ratio is a/b, or 0 when b is 0 (a figure with nothing to divide by).
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}
