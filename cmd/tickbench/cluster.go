package main

import (
	"context"
	"fmt"
	"math"
	"time"
)

// Cluster is scenario 9: the same WebSocket load on a single node and on
// the edge of a core + edge pair joined by NATS (the core running the
// embedded server), alternating the two setups round by round; the NATS
// traffic into the edge; and what a connection ramp costs the core.
type Cluster struct {
	Ran        time.Time      `json:"ran"`
	Rounds     []ClusterRound `json:"rounds"`
	CoreServer string         `json:"core_cmd"` // the core's command line
	// Sessions is a ramp of connections that each hold their own session,
	// so that no session check can be answered from the edge's cache.
	Sessions *SessionRamp `json:"sessions,omitempty"`
}

// ClusterRound is one single-node run followed by one core + edge run.
type ClusterRound struct {
	Single     Run         `json:"single"`
	Edge       Run         `json:"edge"` // clients on the edge; its server_cmd is the edge's
	NATS       NATSTraffic `json:"nats"` // during the edge run's window
	Ramp       RPCRamp     `json:"ramp"` // during the edge run's ramp
	CoreCPUPct float64     `json:"core_cpu_pct"`
	Err        string      `json:"error,omitempty"` // the pair did not start or could not be scraped
}

// SessionRamp is a core + edge run whose clients each log in to their own
// account, and what their ramp cost the core.
type SessionRamp struct {
	Run  Run     `json:"run"`
	Ramp RPCRamp `json:"ramp"`
	Err  string  `json:"error,omitempty"`
}

// NATSTraffic is the difference of the pair's counters over an interval.
type NATSTraffic struct {
	Seconds      float64 `json:"seconds"`
	Published    float64 `json:"ticks_published"` // the core's tickerd_cluster_ticks_published_total
	Received     float64 `json:"ticks_received"`  // the edge's tickerd_cluster_ticks_received_total
	InBytes      float64 `json:"in_bytes"`        // the edge's tickerd_cluster_nats_in_bytes_total
	CoreOutBytes float64 `json:"core_out_bytes"`  // the core's tickerd_cluster_nats_out_bytes_total
}

// MsgsPerTick is tick messages the edge received per tick the core
// published.
func (n NATSTraffic) MsgsPerTick() float64 { return per(n.Received, n.Published) }

// BytesPerTick is NATS payload bytes into the edge (ticks, heartbeats and
// any replies) per tick it received.
func (n NATSTraffic) BytesPerTick() float64 { return per(n.InBytes, n.Received) }

// TicksPerS is the ticks the edge received per second.
func (n NATSTraffic) TicksPerS() float64 { return per(n.Received, n.Seconds) }

// RPCRamp is what the edge asked the core while clients connected: the
// edge's tickerd_cluster_session_checks_total and tickerd_cluster_rpc_seconds
// over the ramp, and the core's CPU.
type RPCRamp struct {
	Seconds     float64  `json:"seconds"`
	Connections int64    `json:"connections"` // clients connected during the ramp
	Accounts    int      `json:"accounts"`    // their sessions: one per account
	CacheHits   float64  `json:"cache_hits"`
	CacheMisses float64  `json:"cache_misses"`
	Requests    float64  `json:"requests"` // to the core, any method but ping
	Auth        float64  `json:"auth_requests"`
	AuthSeconds float64  `json:"auth_seconds"` // sum of their latencies
	AuthBuckets []Bucket `json:"auth_buckets"` // cumulative, the histogram's bounds
	CoreCPUS    float64  `json:"core_cpu_s"`
	// WindowCPUPct is the core's CPU in the window after the ramp, when
	// ticks flow and nothing is asked of it: the ramp's baseline.
	WindowCPUPct float64 `json:"window_core_cpu_pct"`
}

// PerConnection is core requests per new connection.
func (r RPCRamp) PerConnection() float64 { return per(r.Requests, float64(r.Connections)) }

// PerS is core requests per second of the ramp.
func (r RPCRamp) PerS() float64 { return per(r.Requests, r.Seconds) }

// MeanMs is the mean latency of a session check through the core.
func (r RPCRamp) MeanMs() float64 { return per(r.AuthSeconds, r.Auth) * 1000 }

// P99Ms is the upper bound of the histogram bucket holding the 99th
// percentile of session checks through the core.
func (r RPCRamp) P99Ms() float64 { return quantileBound(r.AuthBuckets, r.Auth, 0.99) * 1000 }

// minRequestsForCPU is the fewest requests whose CPU is worth dividing:
// /proc counts CPU in 10 ms steps, over a ramp of a few seconds.
const minRequestsForCPU = 100

// CoreCPUPct is the core's CPU during the ramp, % of one core.
func (r RPCRamp) CoreCPUPct() float64 { return per(r.CoreCPUS, r.Seconds) * 100 }

// CoreCPUMsPerRequest is the core's CPU during the ramp above its baseline
// (WindowCPUPct) per request; NaN for too few requests.
func (r RPCRamp) CoreCPUMsPerRequest() float64 {
	if r.Requests < minRequestsForCPU {
		return math.NaN()
	}
	return per(r.CoreCPUS-r.WindowCPUPct/100*r.Seconds, r.Requests) * 1000
}

// per is a / b, NaN when b is not positive (nothing to divide by).
func per(a, b float64) float64 {
	if b <= 0 {
		return math.NaN()
	}
	return a / b
}

// runCluster is scenario 9: sz.clusterRounds rounds of a single node then a
// core + edge pair under the same load, then the session ramp.
func (b *bench) runCluster(ctx context.Context) {
	sz := b.sz
	c := &Cluster{Ran: time.Now().UTC()}
	b.res.Cluster = c
	for i := 1; i <= sz.clusterRounds && ctx.Err() == nil; i++ {
		spec := func(setup string) loadSpec {
			return loadSpec{name: fmt.Sprintf("cluster-%s-%d-round%d", setup, sz.pushClients, i), mode: "ws",
				clients: sz.pushClients, symbols: sz.symbols, ramp: sz.ramp(sz.pushClients), duration: sz.duration}
		}
		var r ClusterRound
		r.Single = b.serveAndLoad(ctx, spec("single"), clusterTickRate)
		if core := b.pairRound(ctx, spec("edge"), &r); core != "" {
			c.CoreServer = core
		}
		c.Rounds = append(c.Rounds, r)
	}
	if ctx.Err() == nil && sz.sessionClients > 0 {
		c.Sessions = b.sessionRamp(ctx, sz.sessionClients)
	}
}
