package main

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestMergeRerun(t *testing.T) {
	base := Machine{Commit: "aaaaaaaaaaaa", LoadAvg: "1.00 1.00 1.00"}
	r := &Results{Machine: base, Reruns: []Rerun{{Scenarios: []string{"rest", "cluster"}, Machine: Machine{Commit: "bbbbbbbbbbbb"}}}}
	now := Machine{Commit: "cccccccccccc", LoadAvg: "11.00 4.61 1.81", Date: time.Date(2026, 11, 30, 19, 38, 0, 0, time.UTC)}
	mergeRerun(r, map[string]bool{"cluster": true, "latency": true}, now)
	if r.Machine != base {
		t.Errorf("the earlier run's machine was replaced: %+v", r.Machine)
	}
	if len(r.Reruns) != 2 || !slices.Equal(r.Reruns[0].Scenarios, []string{"rest"}) ||
		!slices.Equal(r.Reruns[1].Scenarios, []string{"latency", "cluster"}) || r.Reruns[1].Machine != now {
		t.Fatalf("reruns = %+v; want rest from the older one, then latency and cluster (in scenario order) now", r.Reruns)
	}
	mergeRerun(r, map[string]bool{"rest": true}, now)
	if len(r.Reruns) != 2 || !slices.Equal(r.Reruns[0].Scenarios, []string{"latency", "cluster"}) {
		t.Errorf("a fully superseded rerun was kept: %+v", r.Reruns)
	}
	md := render(r, "", "bench")
	head, _, _ := strings.Cut(md, "## Machine")
	want := "Run again alone since (`-only latency,cluster`): latency, cluster, on 2026-11-30 19:38 UTC at commit `cccccccccccc`, load average at start 11.00 4.61 1.81.\n"
	if !strings.Contains(head, want) || !strings.Contains(md, "| Commit | aaaaaaaaaaaa |") {
		t.Errorf("header lacks %q or the machine table lost the earlier commit:\n%s", want, head)
	}
}
