package main

import (
	"strings"
	"testing"
	"time"
)

// clusterReport is a load report with the figures the cluster section shows.
func clusterReport(p50, p99, cpu float64) *LoadReport {
	r := &LoadReport{}
	r.Clients.Connected, r.Clients.OpenAtEnd = 1000, 1000
	r.Quotes.PerS = 19500
	r.Latency = Percentiles{P50: p50, P90: 30, P99: p99, P999: 200, Max: 250}
	r.Bytes.PerQuote = 190.6
	r.Server = &struct {
		CPUPct     float64 `json:"cpu_pct"`
		CPUMsPer1k float64 `json:"cpu_ms_per_1k_quotes"`
		RSSPerConn float64 `json:"rss_per_conn_bytes"`
		End        struct {
			RSSBytes int64 `json:"rss_bytes"`
		} `json:"end"`
	}{CPUMsPer1k: cpu}
	return r
}

func clusterRound(i string, p50s, p50e, cpuE, bytes float64) ClusterRound {
	return ClusterRound{
		Single: Run{Name: "cluster-single-1000-round" + i, Clients: 1000, Report: clusterReport(p50s, 96, 9), File: "cluster-single-1000-round" + i + ".json"},
		Edge:   Run{Name: "cluster-edge-1000-round" + i, Clients: 1000, Report: clusterReport(p50e, 120, cpuE), File: "cluster-edge-1000-round" + i + ".json", Server: "tickerd -role edge"},
		NATS:   NATSTraffic{Seconds: 20, Published: 2000, Received: 2000, InBytes: 2000 * bytes},
		Ramp: RPCRamp{Seconds: 3, Connections: 1000, Accounts: 4, CacheHits: 996, CacheMisses: 4, Requests: 4, Auth: 4,
			AuthSeconds: 0.004, AuthBuckets: []Bucket{{0.0005, 1}, {0.001, 3}, {0.002, 4}}, CoreCPUS: 0.06, WindowCPUPct: 2},
		CoreCPUPct: 2.5,
	}
}

func TestRenderCluster(t *testing.T) {
	c := &Cluster{
		Ran:        time.Now(),
		Rounds:     []ClusterRound{clusterRound("1", 1.0, 1.2, 10, 150), clusterRound("2", 3.0, 1.6, 11, 146), clusterRound("3", 2.0, 1.4, 12, 148)},
		CoreServer: "tickerd -role core",
		Sessions: &SessionRamp{Run: Run{Name: "cluster-sessions-300", Server: "tickerd -role edge", Load: "tickload -per-account 1"},
			Ramp: RPCRamp{Seconds: 1, Connections: 300, Accounts: 300, CacheMisses: 300, Requests: 300, Auth: 300, AuthSeconds: 0.6,
				AuthBuckets: []Bucket{{0.001, 100}, {0.002, 200}, {0.005, 280}, {0.01, 298}, {0.025, 300}}, CoreCPUS: 0.32, WindowCPUPct: 2}},
	}
	var sb strings.Builder
	renderCluster(&sb, c, "bench")
	md := sb.String()
	for _, want := range []string{
		"## 9. Cluster",
		"3\nround(s)",
		// medians: p50 single 2.00, edge 1.40; CPU 9 against 11
		"| single node | 3 of 3 | 19,500 | 2.00 | 96.0 | 9.00 |",
		"| core + edge (edge) | 3 of 3 | 19,500 | 1.40 | 120 | 11.00 |",
		"| edge − single |  |  | −0.60 | +24.0 | +22.2 % |",
		// runs alternate
		"| cluster-single-1000-round1 | 1,000 of 1,000 |",
		"cluster-single-1000-round1 | 1,000 of 1,000 | 19,500 | 1.00 / 30.0 / 96.0 / 200 / 250 | 9.00 | 190.6 | 0 |\n| cluster-edge-1000-round1 |",
		"| round 2 | 100.0 | 100.0 | 1.000 | 146.0 | 2.5 |",
		"**1.000 NATS messages and 148.0 payload bytes per tick per edge.**",
		"| round 1, 250 clients per session | 1,000 | 3.0 | 996 / 4 | 4 (1/s) | 0.004 | 1.00 / ≤ 2.00 | 2.0 / 2.0 | — |",
		// (0.32 s - 2 % of 1 s) / 300 requests
		"| one session per client | 300 | 1.0 | 0 / 300 | 300 (300/s) | 1.000 | 2.00 / ≤ 10.0 | 32.0 / 2.0 | 1.00 |",
		"# cluster-edge-1000-round1\ntickerd -role core\ntickerd -role edge\n",
		"# cluster-sessions-300\ntickerd -role core\ntickerd -role edge\ntickload -per-account 1\n",
		"[cluster-edge-1000-round3.json](bench/cluster-edge-1000-round3.json)",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("cluster section lacks %q:\n%s", want, md)
		}
	}
	sb.Reset()
	renderCluster(&sb, nil, "bench")
	if !strings.Contains(sb.String(), "Not run.") {
		t.Error("a missing scenario is not marked as not run")
	}
}

func TestRenderClusterPairFailed(t *testing.T) {
	r := clusterRound("1", 1, 1, 10, 150)
	r.Edge = Run{Name: "cluster-edge-1000-round1", Err: "edge: tickerd exited before it was ready"}
	r.Err = "edge: tickerd exited before it was ready"
	var sb strings.Builder
	renderCluster(&sb, &Cluster{Rounds: []ClusterRound{r}}, "bench")
	md := sb.String()
	for _, want := range []string{
		"| cluster-edge-1000-round1 | error: edge: tickerd exited before it was ready |",
		"| round 1 | error: edge: tickerd exited before it was ready |",
		"| core + edge (edge) | 0 of 1 | — | — | — | — |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("cluster section lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "round 1, 250 clients per session") {
		t.Errorf("a failed pair's ramp is shown:\n%s", md)
	}
}
