package main

import (
	"fmt"
	"slices"
	"strings"
)

// Rerun is a later run of some scenarios alone (-only) merged into the
// results of an earlier run, with the machine as it was then: the other
// scenarios' figures keep the earlier run's commit and load.
type Rerun struct {
	Scenarios []string `json:"scenarios"`
	Machine   Machine  `json:"machine"`
}

// mergeRerun records that the scenarios in only were run again on m into
// old, whose machine, date and other scenarios stay; an earlier rerun of
// the same scenarios is superseded.
func mergeRerun(old *Results, only map[string]bool, m Machine) {
	var names []string
	for _, s := range scenarioNames {
		if only[s] {
			names = append(names, s)
		}
	}
	var keep []Rerun
	for _, rr := range old.Reruns {
		rr.Scenarios = slices.DeleteFunc(rr.Scenarios, func(s string) bool { return only[s] })
		if len(rr.Scenarios) > 0 {
			keep = append(keep, rr)
		}
	}
	old.Reruns = append(keep, Rerun{Scenarios: names, Machine: m})
}

// renderReruns writes one line per rerun, for the header.
func renderReruns(sb *strings.Builder, reruns []Rerun) {
	for _, rr := range reruns {
		m := rr.Machine
		fmt.Fprintf(sb, "Run again alone since (`-only %s`): %s, on %s at %s, load average at start %s.\n"+
			"The machine table below is the earlier run's, which measured the other scenarios.\n\n",
			strings.Join(rr.Scenarios, ","), strings.Join(rr.Scenarios, ", "), m.Date.Format("2006-01-02 15:04 UTC"),
			headerCommit(m), m.LoadAvg)
	}
}
