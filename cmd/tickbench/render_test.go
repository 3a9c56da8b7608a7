package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// loadFixture reads testdata/results.json: a full-size run whose figures
// meet some targets and miss others.
func loadFixture(t *testing.T) *Results {
	t.Helper()
	r, err := readResults(filepath.Join("testdata", "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestEvaluateTargets(t *testing.T) {
	r := loadFixture(t)
	got := map[string]Target{}
	for _, tg := range evaluate(r) {
		got[tg.Goal] = tg
	}
	tests := []struct {
		goalPrefix string
		status     string
		figure     string
	}{
		{"10,000 WebSocket clients held", statusMet, "10,000 open at the end, 0 never connected"},
		{"≥ 200,000 delivered quotes/s", statusMet, "210,000/s"},
		{"p99 end-to-end latency < 50 ms", statusMet, "42.0 ms"},
		{"≤ 3 server CPU-ms", statusMissed, "3.50"},
		{"400,000/s offered", statusMissed, "390,000/s of 400,000/s offered (98 %), p99 120 ms"},
		{"≤ 20 KiB server RSS", statusMet, "17.6 KiB (10,000 connections)"},
		{"Push ≥ 10× fewer bytes", statusMet, "12× (poll 2300 vs push 196 B; push cheaper)"},
		{"Push ≥ 5× less server CPU", statusMissed, "3.0× (poll 12.00 vs push 4.00 CPU-ms/1k; push cheaper)"},
		{"Push p99 latency < 50 ms", statusMet, "4.19 ms"},
		{"GET /api/v1/portfolio ≥ 15,000", statusMet, "26,144 req/s"},
		{"GET /api/v1/portfolio p99", statusMissed, "19.5 ms"},
		{"Login storm", statusMet, "8.98 ms during"},
	}
	if len(got) != len(tests) {
		t.Errorf("evaluate returned %d targets, want %d", len(got), len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.goalPrefix, func(t *testing.T) {
			var found *Target
			for goal, tg := range got {
				if strings.HasPrefix(goal, tt.goalPrefix) {
					found = &tg
				}
			}
			if found == nil {
				t.Fatalf("no target starting %q", tt.goalPrefix)
			}
			if found.Status != tt.status {
				t.Errorf("status = %q, want %q (figure %q)", found.Status, tt.status, found.Figure)
			}
			if !strings.HasPrefix(found.Figure, tt.figure) {
				t.Errorf("figure = %q, want it to start %q", found.Figure, tt.figure)
			}
		})
	}
}

// TestPushCostsMore: when polling is the cheaper side the ratio shows it,
// with two significant figures, in the targets and in both push-versus-poll
// tables, instead of rounding 0.958 to "1.0×".
func TestPushCostsMore(t *testing.T) {
	r := loadFixture(t)
	r.PushPoll.Push.Report.Server.CPUMsPer1k = 12.16
	pollAt(r.PushPoll, "1s").Report.Server.CPUMsPer1k = 11.65
	var cpu Target
	for _, tg := range evaluate(r) {
		if strings.HasPrefix(tg.Goal, "Push ≥ 5× less server CPU") {
			cpu = tg
		}
	}
	if want := "0.96× (poll 11.65 vs push 12.16 CPU-ms/1k; poll cheaper)"; cpu.Figure != want || cpu.Status != statusMissed {
		t.Errorf("CPU target = %q, %q; want %q, missed", cpu.Figure, cpu.Status, want)
	}
	md := render(r, "", "bench")
	for _, want := range []string{
		"| 0.96× (poll 11.65 vs push 12.16 CPU-ms/1k; poll cheaper) | **missed** |",
		"| every 1s | 12× (push cheaper) | 0.96× (poll cheaper) |",
		"| 12.2 / 11.7 | 0.96× (poll cheaper) |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("rendered Markdown lacks %q", want)
		}
	}
}

func TestRatioCell(t *testing.T) {
	tests := []struct {
		ratio float64
		want  string
	}{
		{0.958, "0.96× (poll cheaper)"},
		{0.9996, "1.0× (poll cheaper)"},
		{1, "1.0× (same cost)"},
		{1.04, "1.0× (push cheaper)"},
		{1.5, "1.5× (push cheaper)"},
		{9.96, "10× (push cheaper)"},
		{11.7, "12× (push cheaper)"},
		{137, "140× (push cheaper)"},
		{0.0123, "0.012× (poll cheaper)"},
		{0, "—"},
	}
	for _, tt := range tests {
		if got := ratioCell(tt.ratio); got != tt.want {
			t.Errorf("ratioCell(%v) = %q, want %q", tt.ratio, got, tt.want)
		}
	}
}

func TestEvaluateNotJudged(t *testing.T) {
	t.Run("quick run", func(t *testing.T) {
		r := loadFixture(t)
		r.Quick = true
		for _, tg := range evaluate(r) {
			if tg.Status != statusNotComp+" (quick run)" {
				t.Errorf("%s: status %q in a quick run", tg.Goal, tg.Status)
			}
		}
	})
	t.Run("other size", func(t *testing.T) {
		r := loadFixture(t)
		r.Fanout.Rates[0].Clients = 5000
		for _, tg := range evaluate(r)[:4] {
			if tg.Status != "n/a (run at 5,000 clients)" {
				t.Errorf("%s: status %q for a 5,000-client run", tg.Goal, tg.Status)
			}
		}
	})
	t.Run("scenarios missing or failed", func(t *testing.T) {
		r := loadFixture(t)
		r.Fanout, r.REST = nil, nil
		r.Memory.Run.Report, r.Memory.Run.Err = nil, "tickerd not ready after 1m0s"
		for _, tg := range evaluate(r) {
			switch {
			case strings.Contains(tg.Goal, "RSS"):
				if tg.Status != statusNoFig || !strings.Contains(tg.Figure, "not ready") {
					t.Errorf("memory: %+v, want no figure with the error", tg)
				}
			case strings.Contains(tg.Goal, "clients held"), strings.Contains(tg.Goal, "/api/v1/portfolio"):
				if tg.Status != statusNotRun {
					t.Errorf("%s: status %q, want %q", tg.Goal, tg.Status, statusNotRun)
				}
			}
		}
	})
}

func TestRenderMarkdown(t *testing.T) {
	r := loadFixture(t)
	md := render(r, "Hand-written: the write() syscalls bound it.\n", "bench")
	for _, want := range []string{
		"| CPU model | AMD EPYC |",
		"| ≤ 3 server CPU-ms per 1,000 delivered quotes | 3.50 | **missed** |",
		"| WebSocket push | 20,000 | — | 196.0 | 4.00 | 1.76 / 4.19 | — | 0 |",
		"| every 1s | 12× (push cheaper) | 3.0× (push cheaper) |",
		"| 15,000 | 300,000 | — | p99 180.0 ms | fail |",
		"**Largest client count with p99 under 100 ms: 10,000 clients**",
		"| 26,144 | 2.53 | 9.51 | 19.5 | 0 | none |",
		"wrk -t2 -c64 -d2s --latency -H \"Authorization: Bearer $TOKEN\" http://127.0.0.1:$PORT/api/v1/portfolio",
		"the server logged: `time=2026-11-20T12:00:05Z level=WARN",
		"[fanout-step-15000.json](bench/fanout-step-15000.json)",
		"| 0.05 | 2s | 500 / 480 | 190 / 2500 | 13× (push cheaper) | 10.0 / 60.0 | 6.0× (push cheaper) | 12.0 |",
		"Push meets all three targets at 0.05 ticks/symbol/s.",
		"[pushpollrate-0.05-poll-1s.json](bench/pushpollrate-0.05-poll-1s.json)",
		"## What bounds it\n\nHand-written: the write() syscalls bound it.\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("rendered Markdown lacks %q", want)
		}
	}
	if strings.Contains(md, "PLACEHOLDER") || strings.Contains(md, "Quick run") {
		t.Error("full run with an analysis rendered the placeholder or the quick-run banner")
	}
	// The 10,000-client step reuses the fan-out run: its commands appear once.
	if n := strings.Count(md, "# fanout-tick2-200\n"); n != 1 {
		t.Errorf("fan-out run listed %d times in the commands, want 1", n)
	}
}

func TestWriteMarkdownAnalysis(t *testing.T) {
	r := loadFixture(t)
	dir := t.TempDir()
	bench := filepath.Join(dir, "bench")
	if err := os.Mkdir(bench, 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "BENCHMARKS.md")
	read := func() string {
		t.Helper()
		if err := writeMarkdown(out, bench, r); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	if md := read(); !strings.Contains(md, analysisPlaceholder) {
		t.Error("without analysis.md the report has no placeholder")
	}
	if err := os.WriteFile(filepath.Join(bench, analysisFile), []byte("CPU goes to write().\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	md := read()
	if !strings.HasSuffix(md, "## What bounds it\n\nCPU goes to write().\n") || strings.Contains(md, "PLACEHOLDER") {
		t.Errorf("analysis.md not included as the last section:\n%s", md[max(0, len(md)-300):])
	}
}

// TestDeliveredColumn: every push row says delivered / offered: exact when
// tickload read the server's seqs, the nominal figure marked ≈ for results
// from before that, and "—" for results older still and for polling.
func TestDeliveredColumn(t *testing.T) {
	withDelivery := func(r *Results) {
		d := func(pct float64) *Delivery { return &Delivery{DeliveredPct: pct, DeliveredSeqPct: 100} }
		r.PushPoll.Push.Report.Delivery = d(99.84)
		r.Fanout.Rates[0].Report.Delivery = d(100.2)
		r.Fanout.Rates[1].Report.Delivery = d(91.06)
		r.Fanout.Steps[0].Run.Report.Delivery = d(98.5)
		r.Storm.Baseline.Report.Delivery = d(100)
		r.Storm.Storm.Report.Delivery = d(97.25)
		for _, pp := range r.PushPollRates {
			pp.Push.Report.Delivery = d(99.5)
		}
	}
	tests := []struct {
		name string
		edit func(*Results)
		want []string
	}{{
		name: "old results without delivery",
		want: []string{
			"| Mode | Updates/s | Delivered / offered | Bytes per update |",
			"| WebSocket push | 20,000 | — | 196.0 |",
			"| poll every 1s | 8,600 | — | 2300.0 |",
			"| 2 | 10,000 of 10,000 | 200,000 | 210,000 | — | 3.33 |",
			"| 2,000 | 40,000 | — | p99",
			"| no logins | 2,000 | 2,046 | — | 1.81 |",
			"| 12.0 | — | ",
			"and for results from before tickload reported delivery (issue 11).",
		},
	}, {
		name: "nominal delivery reported",
		edit: withDelivery,
		want: []string{
			"| WebSocket push | 20,000 | ≈ 99.8 % | 196.0 |",
			"| poll every 1s | 8,600 | — | 2300.0 |",
			"| 2 | 10,000 of 10,000 | 200,000 | 210,000 | ≈ 100.2 % | 3.33 |",
			"| 4 | 10,000 of 10,000 | 400,000 | 390,000 | ≈ 91.1 % |",
			"| 2,000 | 40,000 | ≈ 98.5 % | p99",
			"| no logins | 2,000 | 2,046 | ≈ 100.0 % | 1.81 |",
			"| login storm | 2,000 | 2,008 | ≈ 97.2 % | 2.38 |",
			"| 12.0 | ≈ 99.5 % | ",
		},
	}, {
		name: "exact delivery reported",
		edit: func(r *Results) {
			withDelivery(r)
			exact := func(d *Delivery, offered, got int64) {
				d.Offered, d.OfferedDelivered, d.DeliveredOfferedPct = offered, got, 100*float64(got)/float64(offered)
			}
			exact(r.PushPoll.Push.Report.Delivery, 400_000, 400_000)
			exact(r.Fanout.Rates[1].Report.Delivery, 8_000_000, 7_920_000)
			exact(r.Storm.Storm.Report.Delivery, 40_000, 39_998)
		},
		want: []string{
			"| WebSocket push | 20,000 | 100.00 % | 196.0 |",
			"| 2 | 10,000 of 10,000 | 200,000 | 210,000 | ≈ 100.2 % | 3.33 |",
			"| 4 | 10,000 of 10,000 | 400,000 | 390,000 | 99.00 % |",
			"| login storm | 2,000 | 2,008 | 100.00 % | 2.38 |",
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := loadFixture(t)
			if tt.edit != nil {
				tt.edit(r)
			}
			md := render(r, "", "bench")
			for _, want := range tt.want {
				if !strings.Contains(md, want) {
					t.Errorf("rendered Markdown lacks %q", want)
				}
			}
		})
	}
}
