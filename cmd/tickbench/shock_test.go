package main

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestRenderShock(t *testing.T) {
	tests := []struct {
		name   string
		quick  bool
		want   []string
		absent []string
	}{{
		name: "full run: judged against issue 11's targets at 2 ticks/s",
		want: []string{
			"## 10. A market-wide shock (issue 14)",
			"playing `data/scenarios/flash-crash.yaml` at `-speed 8`",
			"| 1,000 × 10 | 16.9 s in flash-crash's shock -9 %, rate event | 79,200 | 1.10 | 2.50 ✔ (≤ 3) | 100.0 % ✔ (≥ 99.9) | n/a | 0 |",
			"| 10,000 × 10 | 16.9 s in flash-crash's shock -9 %, rate event; the window outlasted it | 792,000 | 40.0 | 70.0 ✘ (≤ 55) | 99.2 % ✘ (≥ 99.5) | n/a | 0 |",
			"| 20,000 × 10 | error: tickload: exit status 1 |",
			"- `shock-20000`: tickload: exit status 1",
			"-scenario data/scenarios/flash-crash.yaml -speed 8",
			"-scenario-event shock -scenario-wait 2m",
			"[shock-1000.json](bench/shock-1000.json), [shock-10000.json](bench/shock-10000.json)",
		},
		absent: []string{"[shock-20000.json]", "A quick run"},
	}, {
		name:  "quick run: targets shown, nothing judged",
		quick: true,
		want: []string{
			"| 1,000 × 10 | 16.9 s in flash-crash's shock -9 %, rate event | 79,200 | 1.10 | 2.50 (target ≤ 3) | 100.0 % (target ≥ 99.9) | n/a | 0 |",
			"A quick run: not the issue's sizes, so nothing is judged.",
		},
		absent: []string{"✔", "✘"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := readResults(filepath.Join("testdata", "shock.json"))
			if err != nil {
				t.Fatal(err)
			}
			r.Quick = tt.quick
			md := render(r, "", "bench")
			for _, w := range tt.want {
				if !strings.Contains(md, w) {
					t.Errorf("missing %q", w)
				}
			}
			for _, a := range tt.absent {
				if strings.Contains(md, a) {
					t.Errorf("unexpected %q", a)
				}
			}
			if t.Failed() {
				i := strings.Index(md, "## 10.")
				t.Logf("section:\n%s", md[i:])
			}
		})
	}

	var sb strings.Builder
	renderShock(&sb, nil, false, "bench")
	if !strings.Contains(sb.String(), "Not run.") {
		t.Errorf("no results: %q", sb.String())
	}
}
