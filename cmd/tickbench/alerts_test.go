package main

import (
	"strings"
	"testing"
)

// TestRenderFanoutAlerts: the fan-out section compares its first row with
// the same load on a server holding price alerts, and leaves it out when
// that run did not happen.
func TestRenderFanoutAlerts(t *testing.T) {
	res := loadFixture(t)
	fo := res.Fanout
	if fo == nil || len(fo.Rates) == 0 || fo.Rates[0].Report == nil {
		t.Fatal("fixture lacks a fan-out run")
	}
	var sb strings.Builder
	renderFanout(&sb, fo, "bench")
	if strings.Contains(sb.String(), "active price alerts") {
		t.Fatal("a fan-out without the alerts run renders the comparison")
	}

	with := fo.Rates[0]
	rep := *with.Report
	rep.Latency.P99 = with.Report.Latency.P99 * 1.5
	with.Report, with.Name, with.File = &rep, "fanout-alerts10000-tick2-10000", "fanout-alerts10000-tick2-10000.json"
	fo.WithAlerts, fo.AlertCount = &with, 10_000
	sb.Reset()
	renderFanout(&sb, fo, "bench")
	out := sb.String()
	for _, want := range []string{
		"holding 10,000 active price alerts",
		"| no alerts |",
		"| 10,000 alerts |",
		"CPU per 1,000 delivered 1.00× and p99 1.50× the run without",
		"fanout-alerts10000-tick2-10000.json",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("fan-out section lacks %q:\n%s", want, out)
		}
	}

	failed := Run{Name: "fanout-alerts10000-tick2-10000", Err: "10000 alerts: alert AAPL: status 422"}
	fo.WithAlerts = &failed
	sb.Reset()
	renderFanout(&sb, fo, "bench")
	if !strings.Contains(sb.String(), "status 422") {
		t.Errorf("a failed alerts run does not say why:\n%s", sb.String())
	}
}
