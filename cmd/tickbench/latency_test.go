package main

import (
	"math"
	"path/filepath"
	"strings"
	"testing"
)

// loadLatencyFixture reads testdata/latency.json: issue 11's three
// workloads, three runs each, with one failed run, one report from a
// tickload without delivery figures, and a workload with none.
func loadLatencyFixture(t *testing.T) *Results {
	t.Helper()
	r, err := readResults(filepath.Join("testdata", "latency.json"))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRenderLatency(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(r *Results)
		want   []string
		absent []string
	}{{
		name: "full run: medians judged against issue 11's targets",
		want: []string{
			"## 8. Latency and delivery (issue 11)",
			"run, 3 run(s) of each",
			"clients it reads every frame as it arrives (`-ws-batch 0`)",
			// The target is judged on the exact figure, the nominal one shown.
			"| 1,000 × 10, 2 ticks/s | 3 | 1.30 | 2.80 ✔ (≤ 3) | 99.97 % ✔ (≥ 99.9) | 99.9 % | 100.0 % | 8.50 ✘ (≤ 8) | 19.0 | 1.05 |",
			// One run failed: the medians are of the other two, and only
			// one of them has delivery figures; its exact figure misses the
			// target that its nominal one would meet.
			"| 10,000 × 10, 2 ticks/s | 2 of 3 | 35.0 | 55.0 ✔ (≤ 55) | 99.40 % ✘ (≥ 99.5) | 99.6 % | 99.9 % | 5.50 ✔ (≤ 6) | 30.0 ✔ (≤ 30) | 2.10 |",
			// No run has delivery figures: no mark, the target still shown.
			"| 10,000 × 10, 4 ticks/s | 3 | 62.0 | 110 ✘ (≤ 100) | — (target ≥ 99) | — | — | 3.00 ✔ (≤ 3.5) | 35.0 | 4.00 |",
			"| latency-10000-tick2-run1 | 10,000 | 30.0 / 50.0 | 99.40 % (1,988,000 of 2,000,000) | 99.6 % | 99.9 % (12 gaps) | 5.00 | 0 |",
			"| latency-10000-tick2-run2 | error: tickerd not ready after 1m0s |",
			"| latency-10000-tick2-run3 | 10,000 | 40.0 / 60.0 | — | — | — (— gaps) | 6.00 | 0 |",
			"- `latency-10000-tick2-run2`: tickerd not ready after 1m0s",
			"tickload -url http://127.0.0.1:$PORT -mode ws -clients 10000 -symbols 10 -tick-rate 4",
			"[latency-1000-tick2-run1.json](bench/latency-1000-tick2-run1.json)",
		},
		absent: []string{"[latency-10000-tick2-run2.json]", "quick run"},
	}, {
		name: "quick run: targets shown, nothing judged",
		edit: func(r *Results) { r.Quick = true },
		want: []string{
			"| 1,000 × 10, 2 ticks/s | 3 | 1.30 | 2.80 (target ≤ 3) | 99.97 % (target ≥ 99.9) | 99.9 % | 100.0 % | 8.50 (target ≤ 8) | 19.0 | 1.05 |",
			"A quick run: not the issue's sizes, so nothing is judged.",
		},
		absent: []string{"✔", "✘"},
	}, {
		name: "other sizes: no target",
		edit: func(r *Results) {
			for i := range r.Latency.Workloads {
				r.Latency.Workloads[i].Clients /= 20
			}
		},
		want: []string{
			"| 50 × 10, 2 ticks/s | 3 | 1.30 | 2.80 | 99.97 % | 99.9 % | 100.0 % | 8.50 | 19.0 | 1.05 |",
			"| 500 × 10, 4 ticks/s | 3 | 62.0 | 110 | — | — | — | 3.00 | 35.0 | 4.00 |",
		},
		absent: []string{"✔", "✘", "target"},
	}, {
		name: "every run of a workload failed",
		edit: func(r *Results) {
			for i := range r.Latency.Workloads[2].Runs {
				r.Latency.Workloads[2].Runs[i].Report = nil
				r.Latency.Workloads[2].Runs[i].Err = "tickload: exit status 1"
			}
		},
		want: []string{"| 10,000 × 10, 4 ticks/s | 0 of 3 | error: tickload: exit status 1 |"},
	}, {
		name:   "not run",
		edit:   func(r *Results) { r.Latency = nil },
		want:   []string{"## 8. Latency and delivery (issue 11)\n\nNot run.\n"},
		absent: []string{"Each run:"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := loadLatencyFixture(t)
			if tt.edit != nil {
				tt.edit(r)
			}
			md := render(r, "", "bench")
			for _, want := range tt.want {
				if !strings.Contains(md, want) {
					t.Errorf("rendered Markdown lacks %q", want)
				}
			}
			tables, _, _ := strings.Cut(md[strings.Index(md, "## 8."):], "## What bounds it") // the section's tables, after its text
			if i := strings.Index(tables, "| Workload"); i >= 0 {
				tables = tables[i:]
			}
			for _, no := range tt.absent {
				if strings.Contains(tables, no) {
					t.Errorf("the latency section's tables have %q", no)
				}
			}
		})
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		in   []float64
		want float64
	}{
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1}, 2.5},
		{[]float64{7}, 7},
	}
	for _, tt := range tests {
		if got := median(tt.in); got != tt.want {
			t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
	if got := median(nil); !math.IsNaN(got) {
		t.Errorf("median(nil) = %v, want NaN", got)
	}
}
