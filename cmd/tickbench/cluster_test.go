package main

import (
	"strings"
	"testing"
)

func TestRenderCluster(t *testing.T) {
	rep := func(p50, p99, cpu float64) *LoadReport {
		r := &LoadReport{}
		r.Clients.OpenAtEnd = 1000
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
	c := &Cluster{
		Single:     Run{Name: "cluster-single-1000", Clients: 1000, Report: rep(12.9, 96, 9.09), File: "cluster-single-1000.json"},
		Edge:       Run{Name: "cluster-edge-1000", Clients: 1000, Report: rep(14.9, 218, 10.33), File: "cluster-edge-1000.json"},
		CoreServer: "tickerd -role core", NATSBytes: 143.8, TicksPerS: 100, CoreCPUPct: 2.5,
	}
	var sb strings.Builder
	renderCluster(&sb, c, "bench")
	md := sb.String()
	for _, want := range []string{
		"## 9. Cluster",
		"| single node | 1,000 of 1,000 | 19,500 | 12.9 | 30.0 | 96.0 |",
		"| core + edge (edge) | 1,000 of 1,000 | 19,500 | 14.9 | 30.0 | 218 |",
		"**143.8 payload bytes per tick**",
		"# cluster-edge-1000\ntickerd -role core\n",
		"[cluster-edge-1000.json](bench/cluster-edge-1000.json)",
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
