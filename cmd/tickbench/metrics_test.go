package main

import (
	"math"
	"strings"
	"testing"
	"time"
)

const edgeScrape = `# HELP tickerd_cluster_session_checks_total Session checks.
# TYPE tickerd_cluster_session_checks_total counter
tickerd_cluster_session_checks_total{cache="hit"} 996
tickerd_cluster_session_checks_total{cache="miss"} 4
tickerd_cluster_rpc_seconds_bucket{method="auth",result="ok",le="0.001"} 3
tickerd_cluster_rpc_seconds_bucket{method="auth",result="ok",le="0.002"} 4
tickerd_cluster_rpc_seconds_bucket{method="auth",result="ok",le="+Inf"} 4
tickerd_cluster_rpc_seconds_sum{method="auth",result="ok"} 0.004
tickerd_cluster_rpc_seconds_count{method="auth",result="ok"} 4
tickerd_cluster_rpc_seconds_bucket{method="auth",result="error",le="0.001"} 0
tickerd_cluster_rpc_seconds_bucket{method="auth",result="error",le="0.002"} 1
tickerd_cluster_rpc_seconds_bucket{method="auth",result="error",le="+Inf"} 1
tickerd_cluster_rpc_seconds_sum{method="auth",result="error"} 0.0015
tickerd_cluster_rpc_seconds_count{method="auth",result="error"} 1
tickerd_cluster_rpc_seconds_count{method="ping",result="ok"} 40
tickerd_cluster_rpc_seconds_count{method="holdings",result="ok"} 2
tickerd_cluster_ticks_received_total 2000
tickerd_cluster_nats_in_bytes_total 3.0e+05
`

func TestParseMetrics(t *testing.T) {
	m, err := parseMetrics(strings.NewReader(edgeScrape))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		want []string
		v    float64
	}{
		{"tickerd_cluster_session_checks_total", []string{"cache=hit"}, 996},
		{"tickerd_cluster_session_checks_total", nil, 1000},
		{"tickerd_cluster_rpc_seconds_count", []string{"method=auth"}, 5},
		{"tickerd_cluster_rpc_seconds_count", []string{"method=!ping"}, 7},
		{"tickerd_cluster_rpc_seconds_count", []string{"method=auth", "result=ok"}, 4},
		{"tickerd_cluster_nats_in_bytes_total", nil, 300000},
		{"tickerd_cluster_absent_total", nil, 0},
	} {
		if got := m.sum(c.name, c.want...); got != c.v {
			t.Errorf("sum(%s, %v) = %g, want %g", c.name, c.want, got, c.v)
		}
	}
	bs := m.buckets("tickerd_cluster_rpc_seconds", "method=auth")
	if len(bs) != 2 || bs[0] != (Bucket{0.001, 3}) || bs[1] != (Bucket{0.002, 5}) {
		t.Errorf("buckets = %v, want [{0.001 3} {0.002 5}] (+Inf left out, results summed)", bs)
	}
	if _, err := parseMetrics(strings.NewReader("tickerd_x{a=\"b\" 1\n")); err == nil {
		t.Error("an unclosed label set parsed")
	}
	if _, err := parseMetrics(strings.NewReader("tickerd_x one\n")); err == nil {
		t.Error("a line without a number parsed")
	}
}

func TestQuantileBound(t *testing.T) {
	bs := []Bucket{{0.001, 50}, {0.002, 98}, {0.005, 99}, {0.01, 100}}
	for _, c := range []struct{ total, q, want float64 }{
		{100, 0.5, 0.001}, {100, 0.98, 0.002}, {100, 0.99, 0.005}, {100, 1, 0.01}, {200, 0.99, math.Inf(1)},
	} {
		if got := quantileBound(bs, c.total, c.q); got != c.want {
			t.Errorf("quantileBound(total %g, q %g) = %g, want %g", c.total, c.q, got, c.want)
		}
	}
	if got := quantileBound(bs, 0, 0.99); !math.IsNaN(got) {
		t.Errorf("no observations: %g, want NaN", got)
	}
}

func TestRampAndNATSBetween(t *testing.T) {
	parse := func(s string) metrics {
		m, err := parseMetrics(strings.NewReader(s))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	t0 := time.Unix(1000, 0)
	a := snap{at: t0, coreCPU: time.Second, edge: parse(`tickerd_cluster_session_checks_total{cache="hit"} 6
tickerd_cluster_rpc_seconds_bucket{method="auth",result="ok",le="0.001"} 1
tickerd_cluster_rpc_seconds_bucket{method="auth",result="ok",le="0.002"} 1
tickerd_cluster_rpc_seconds_sum{method="auth",result="ok"} 0.001
tickerd_cluster_rpc_seconds_count{method="auth",result="ok"} 1
tickerd_cluster_rpc_seconds_count{method="ping",result="ok"} 10
tickerd_cluster_ticks_received_total 100
tickerd_cluster_nats_in_bytes_total 10000
`), core: parse("tickerd_cluster_ticks_published_total 110\n")}
	z := snap{at: t0.Add(2 * time.Second), coreCPU: 1500 * time.Millisecond, edge: parse(edgeScrape),
		core: parse("tickerd_cluster_ticks_published_total 2010\n")}
	r := rampBetween(a, z)
	if r.Seconds != 2 || r.CacheHits != 990 || r.CacheMisses != 4 || r.Requests != 6 || r.Auth != 4 || r.CoreCPUS != 0.5 {
		t.Errorf("ramp = %+v", r)
	}
	if want := []Bucket{{0.001, 2}, {0.002, 4}}; len(r.AuthBuckets) != 2 || r.AuthBuckets[0] != want[0] || r.AuthBuckets[1] != want[1] {
		t.Errorf("ramp buckets = %v, want %v", r.AuthBuckets, want)
	}
	n := natsBetween(a, z)
	if n.Published != 1900 || n.Received != 1900 || n.InBytes != 290000 || n.MsgsPerTick() != 1 || n.TicksPerS() != 950 {
		t.Errorf("nats = %+v", n)
	}
}
