package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Cluster is scenario 9: the same WebSocket load on a single node and on
// the edge of a core + edge pair joined by NATS (the core running the
// embedded server), and the NATS traffic into the edge.
type Cluster struct {
	Ran        time.Time `json:"ran"`
	Single     Run       `json:"single"`
	Edge       Run       `json:"edge"`        // clients on the edge; its server_cmd is the edge's
	CoreServer string    `json:"core_cmd"`    // the core's command line
	TicksPerS  float64   `json:"ticks_per_s"` // ticks the edge received per second during the load
	NATSBytes  float64   `json:"nats_bytes_per_tick"`
	CoreCPUPct float64   `json:"core_cpu_pct"` // the core's CPU during the load, % of one core
	Err        string    `json:"error,omitempty"`
}

// runCluster is scenario 9.
func (b *bench) runCluster(ctx context.Context) {
	sz := b.sz
	spec := func(name string) loadSpec {
		return loadSpec{name: name, mode: "ws", clients: sz.pushClients, symbols: sz.symbols,
			ramp: sz.ramp(sz.pushClients), duration: sz.duration}
	}
	c := &Cluster{Ran: time.Now().UTC()}
	b.res.Cluster = c
	c.Single = b.serveAndLoad(ctx, spec(fmt.Sprintf("cluster-single-%d", sz.pushClients)), 2)

	edgeSpec := spec(fmt.Sprintf("cluster-edge-%d", sz.pushClients))
	c.Edge = edgeSpec.run(2)
	port, err := freePort()
	if err != nil {
		c.Err = err.Error()
		return
	}
	natsAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	core, err := b.startServer(ctx, 2, "-role", "core", "-nats-listen", natsAddr, "-trusted-proxies", "127.0.0.1")
	if err != nil {
		c.Err = "core: " + err.Error()
		return
	}
	defer b.stopServer(core)
	c.CoreServer = strings.NewReplacer(natsAddr, "127.0.0.1:$NATS_PORT", "127.0.0.1:$PORT", "127.0.0.1:$CORE_PORT").Replace(core.command())
	edge, err := b.startServer(ctx, 2, "-role", "edge", "-nats-url", "nats://"+natsAddr, "-core-url", core.url)
	if err != nil {
		c.Err = "edge: " + err.Error()
		return
	}
	defer b.stopServer(edge)

	before, t0 := scrapeEdge(ctx, edge.url), time.Now()
	cpu0, cerr0 := procCPU(core.pid)
	c.Edge = b.runLoad(ctx, edge, edgeSpec, 2, nil)
	after, elapsed := scrapeEdge(ctx, edge.url), time.Since(t0)
	cpu1, cerr1 := procCPU(core.pid)
	c.Edge.Server = strings.NewReplacer(natsAddr, "127.0.0.1:$NATS_PORT", core.url, "http://127.0.0.1:$CORE_PORT").Replace(c.Edge.Server)
	if ticks := after.ticks - before.ticks; ticks > 0 {
		c.NATSBytes = (after.bytes - before.bytes) / ticks
		c.TicksPerS = ticks / elapsed.Seconds()
	}
	if cerr0 == nil && cerr1 == nil {
		c.CoreCPUPct = (cpu1 - cpu0).Seconds() / elapsed.Seconds() * 100
	}
}

// edgeCounters are the edge's NATS counters at one moment.
type edgeCounters struct{ bytes, ticks float64 }

// scrapeEdge reads the edge's NATS bytes in and ticks received from its
// /metrics; zeros when it cannot.
func scrapeEdge(ctx context.Context, base string) edgeCounters {
	var c edgeCounters
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return c
	}
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		return c
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			continue
		}
		switch name {
		case "tickerd_cluster_nats_in_bytes_total":
			c.bytes = v
		case "tickerd_cluster_ticks_received_total":
			c.ticks = v
		}
	}
	return c
}

// renderCluster is scenario 9's section.
func renderCluster(sb *strings.Builder, c *Cluster, benchRel string) {
	sb.WriteString("## 9. Cluster: a single node against core + edge\n\n")
	if c == nil {
		sb.WriteString("Not run.\n\n")
		return
	}
	sb.WriteString("The same WebSocket clients (10 symbols each of the pool, 2 ticks/symbol/s) on a single node (`-role all`)\n" +
		"and on the edge of a core + edge pair joined by the core's embedded NATS server (see docs/CLUSTER.md). Latency\n" +
		"is measured from the tick's `ts`, set by the core's market, so the edge's figures include the NATS hop. CPU\n" +
		"is the measured server's (the edge's in the second row).\n\n")
	var rows [][]string
	for _, r := range []struct {
		label string
		run   Run
	}{{"single node", c.Single}, {"core + edge (edge)", c.Edge}} {
		rep := r.run.Report
		if rep == nil {
			rows = append(rows, []string{r.label, runErr(r.run)})
			continue
		}
		l := rep.Latency
		rows = append(rows, []string{r.label, fmtInt(rep.Clients.OpenAtEnd) + " of " + fmtInt(int64(r.run.Clients)),
			fmtInt(int64(rep.Quotes.PerS)), fmtMs(l.P50), fmtMs(l.P90), fmtMs(l.P99), fmtMs(l.P999), fmtMs(l.Max),
			fmtF(rep.cpuMsPer1k(), 2), fmtF(rep.Bytes.PerQuote, 1), errCell(rep)})
	}
	table(sb, []string{"", "Clients open", "Delivered/s", "p50", "p90", "p99", "p99.9", "max",
		"CPU-ms per 1,000", "Bytes per quote", "Client errors"}, rows)
	if c.Err != "" {
		fmt.Fprintf(sb, "The pair did not run: %s\n\n", firstLine(c.Err))
	}
	if c.NATSBytes > 0 {
		fmt.Fprintf(sb, "NATS traffic into the edge: **%s payload bytes per tick** (one message per tick, as the NATS client counts them; the MSG line adds about 32 on the wire), "+
			"%s ticks/s; the core used %s%% of a core while serving the edge.\n\n",
			fmtF(c.NATSBytes, 1), fmtF(c.TicksPerS, 1), fmtF(c.CoreCPUPct, 1))
	}
	runs := []Run{c.Single, c.Edge}
	runNotes(sb, runs)
	sb.WriteString("Commands (the core's first, for the second run):\n\n")
	codeBlock(sb, "sh", "# "+c.Single.Name, c.Single.Server, c.Single.Load,
		"# "+c.Edge.Name, c.CoreServer, c.Edge.Server, c.Edge.Load)
	rawLinks(sb, benchRel, runFiles(runs)...)
}
