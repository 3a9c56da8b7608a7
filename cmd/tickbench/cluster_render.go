package main

import (
	"fmt"
	"math"
	"strings"
)

// renderCluster is scenario 9's section.
func renderCluster(sb *strings.Builder, c *Cluster, benchRel string) {
	sb.WriteString("## 9. Cluster: a single node against core + edge\n\n")
	if c == nil || len(c.Rounds) == 0 {
		sb.WriteString("Not run.\n\n")
		return
	}
	fmt.Fprintf(sb, "The same WebSocket clients (10 symbols each of the pool, %d ticks/symbol/s) on a single node (`-role all`)\n"+
		"and on the edge of a core + edge pair joined by the core's embedded NATS server (see docs/CLUSTER.md), %d\n"+
		"round(s), each a fresh single node then a fresh pair, so that both setups see the same machine. Latency is\n"+
		"measured from the tick's `ts`, set by the core's market, so the edge's figures include the NATS hop. CPU is\n"+
		"the measured server's (the edge's in the second row); the core, NATS and edge share the machine's cores\n"+
		"with the load tool.\n\n", clusterTickRate, len(c.Rounds))
	clusterMedians(sb, c.Rounds)
	clusterRuns(sb, c.Rounds)
	clusterNATS(sb, c.Rounds)
	clusterRamps(sb, c)
	var runs []Run
	var lines []string
	for _, r := range c.Rounds {
		runs = append(runs, r.Single, r.Edge)
		lines = append(lines, "# "+r.Single.Name, r.Single.Server, r.Single.Load, "# "+r.Edge.Name, c.CoreServer, r.Edge.Server, r.Edge.Load)
	}
	if s := c.Sessions; s != nil {
		runs = append(runs, s.Run)
		lines = append(lines, "# "+s.Run.Name, c.CoreServer, s.Run.Server, s.Run.Load)
	}
	runNotes(sb, runs)
	sb.WriteString("Commands (for each pair the core's first; every server and pair is fresh):\n\n")
	codeBlock(sb, "sh", lines...)
	rawLinks(sb, benchRel, runFiles(runs)...)
}

// clusterMedians writes the medians of both setups and their difference.
func clusterMedians(sb *strings.Builder, rounds []ClusterRound) {
	var single, edge LatencyWorkload
	for _, r := range rounds {
		single.Runs, edge.Runs = append(single.Runs, r.Single), append(edge.Runs, r.Edge)
	}
	ms, me := medians(single), medians(edge)
	dps, dpe := medianDelivered(single.Runs), medianDelivered(edge.Runs)
	row := func(label string, m latencyMedians, dps float64) []string {
		return []string{label, fmt.Sprintf("%d of %d", m.ok, m.runs), fmtCount(dps), fmtMs(m.p50), fmtMs(m.p99), fmtNaN(m.cpuMsPer1k, 2)}
	}
	rows := [][]string{row("single node", ms, dps), row("core + edge (edge)", me, dpe),
		{"edge − single", "", "", signedMs(me.p50 - ms.p50), signedMs(me.p99 - ms.p99), signedPct(me.cpuMsPer1k/ms.cpuMsPer1k - 1)}}
	sb.WriteString("Medians of the rounds:\n\n")
	table(sb, []string{"", "Runs with a report", "Delivered/s", "p50 (ms)", "p99 (ms)", "Server CPU-ms per 1,000 delivered"}, rows)
}

// medianDelivered is the median of the runs' quotes delivered per second.
func medianDelivered(runs []Run) float64 {
	var v []float64
	for _, r := range runs {
		if r.Report != nil {
			v = append(v, r.Report.Quotes.PerS)
		}
	}
	return median(v)
}

// fmtCount writes a rate rounded to a whole number: "19,500", or "—".
func fmtCount(v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	return fmtInt(int64(math.Round(v)))
}

// signedMs writes a latency difference: "+2.10", "−0.31".
func signedMs(d float64) string {
	if math.IsNaN(d) {
		return "—"
	}
	if d < 0 {
		return "−" + fmtMs(-d)
	}
	return "+" + fmtMs(d)
}

// signedPct writes a relative difference: "+4.2 %".
func signedPct(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "—"
	}
	if f < 0 {
		return "−" + fmtF(-f*100, 1) + " %"
	}
	return "+" + fmtF(f*100, 1) + " %"
}

// clusterRuns writes every run in the order it ran.
func clusterRuns(sb *strings.Builder, rounds []ClusterRound) {
	var rows [][]string
	for _, r := range rounds {
		for _, run := range []Run{r.Single, r.Edge} {
			rep := run.Report
			if rep == nil {
				rows = append(rows, []string{run.Name, runErr(run), "", "", "", "", ""})
				continue
			}
			l := rep.Latency
			rows = append(rows, []string{run.Name, fmtInt(rep.Clients.OpenAtEnd) + " of " + fmtInt(int64(run.Clients)),
				fmtInt(int64(rep.Quotes.PerS)),
				strings.Join([]string{fmtMs(l.P50), fmtMs(l.P90), fmtMs(l.P99), fmtMs(l.P999), fmtMs(l.Max)}, " / "),
				fmtF(rep.cpuMsPer1k(), 2), fmtF(rep.Bytes.PerQuote, 1), errCell(rep)})
		}
	}
	sb.WriteString("Each run, in the order they ran:\n\n")
	table(sb, []string{"Run", "Clients open", "Delivered/s", "p50 / p90 / p99 / p99.9 / max (ms)",
		"CPU-ms per 1,000", "Bytes per quote", "Client errors"}, rows)
}

// clusterNATS writes the NATS traffic into the edge in each round's window.
func clusterNATS(sb *strings.Builder, rounds []ClusterRound) {
	var rows [][]string
	var msgs, bytes []float64
	for i, r := range rounds {
		label := fmt.Sprintf("round %d", i+1)
		if r.Err != "" {
			rows = append(rows, []string{label, "error: " + firstLine(r.Err), "", "", "", ""})
			continue
		}
		n := r.NATS
		msgs, bytes = append(msgs, n.MsgsPerTick()), append(bytes, n.BytesPerTick())
		rows = append(rows, []string{label, fmtNaN(per(n.Published, n.Seconds), 1), fmtNaN(n.TicksPerS(), 1),
			fmtNaN(n.MsgsPerTick(), 3), fmtNaN(n.BytesPerTick(), 1), fmtF(r.CoreCPUPct, 1)})
	}
	sb.WriteString("NATS during each edge run's window, from the core's `tickerd_cluster_ticks_published_total` and the edge's\n" +
		"`tickerd_cluster_ticks_received_total` and `tickerd_cluster_nats_in_bytes_total` (payload bytes as the NATS\n" +
		"client counts them, heartbeats included; the `MSG` line adds about 32 per message on the wire):\n\n")
	table(sb, []string{"", "Ticks published/s (core)", "Ticks received/s (edge)", "Tick messages per tick, per edge",
		"NATS payload bytes per tick, per edge", "Core CPU (% of a core)"}, rows)
	if len(msgs) > 0 {
		fmt.Fprintf(sb, "Median: **%s NATS messages and %s payload bytes per tick per edge.**\n\n",
			fmtNaN(median(msgs), 3), fmtNaN(median(bytes), 1))
	}
}

// clusterRamps writes what each ramp of connections asked of the core.
func clusterRamps(sb *strings.Builder, c *Cluster) {
	var rows [][]string
	for i, r := range c.Rounds {
		if r.Err == "" {
			rows = append(rows, rampRow(fmt.Sprintf("round %d, %s clients per session", i+1, fmtInt(defaultPerAccount)), r.Ramp))
		}
	}
	if s := c.Sessions; s != nil {
		if s.Err != "" {
			rows = append(rows, []string{"one session per client", "error: " + firstLine(s.Err), "", "", "", "", "", "", ""})
		} else {
			rows = append(rows, rampRow("one session per client", s.Ramp))
		}
	}
	sb.WriteString("Requests from the edge to the core while clients connected (from the edge's\n" +
		"`tickerd_cluster_session_checks_total` and `tickerd_cluster_rpc_seconds`, pings left out; the p99 is the\n" +
		"upper bound of its histogram bucket), and the core's CPU over the ramp against the window after it (ticks\n" +
		"only); per request is the difference, shown from 100 requests. A positive session check is cached\n" +
		"on the edge for 3 s, so clients sharing a session cost one request; the last row's clients each log in to\n" +
		"their own account first, so every connection is a miss, as when the clients of a lost edge reconnect:\n\n")
	table(sb, []string{"Ramp", "Connections", "Over (s)", "Session checks: cache hits / misses", "Core requests",
		"Per new connection", "Session check through the core: mean / p99 (ms)", "Core CPU: ramp / window (% of a core)",
		"Core CPU-ms per request"}, rows)
}

func rampRow(label string, r RPCRamp) []string {
	return []string{label, fmtInt(r.Connections), fmtF(r.Seconds, 1),
		fmtInt(int64(r.CacheHits)) + " / " + fmtInt(int64(r.CacheMisses)),
		fmtInt(int64(r.Requests)) + " (" + fmtCount(r.PerS()) + "/s)", fmtNaN(r.PerConnection(), 3),
		fmtMs(r.MeanMs()) + " / ≤ " + fmtMs(r.P99Ms()), fmtNaN(r.CoreCPUPct(), 1) + " / " + fmtNaN(r.WindowCPUPct, 1),
		fmtNaN(r.CoreCPUMsPerRequest(), 2)}
}
