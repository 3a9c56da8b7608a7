package main

import (
	"fmt"
	"strings"
)

// Statuses of a target.
const (
	statusMet     = "met"
	statusMissed  = "**missed**"
	statusNotRun  = "not run"
	statusNoFig   = "no figure"
	statusNotComp = "n/a"
)

// Target is one line of issue 5's targets with the figure measured for it.
type Target struct {
	Goal   string
	Figure string
	Status string
}

// Issue 5's sizes: a figure from another size is shown but not judged.
const (
	targetFanClients  = 10_000
	targetPushClients = 1_000
)

// evaluate judges each of issue 5's targets against r.
func evaluate(r *Results) []Target {
	var ts []Target
	ts = append(ts, fanoutTargets(r)...)
	ts = append(ts, memoryTarget(r))
	ts = append(ts, pushTargets(r)...)
	ts = append(ts, restTargets(r)...)
	ts = append(ts, stormTarget(r))
	if r.Quick {
		for i := range ts {
			if ts[i].Status != statusNotRun {
				ts[i].Status = statusNotComp + " (quick run)"
			}
		}
	}
	return ts
}

// judge returns met or missed, or n/a when the run was not at the
// target's size.
func judge(ok, comparable bool, size string) string {
	switch {
	case !comparable:
		return statusNotComp + " (" + size + ")"
	case ok:
		return statusMet
	}
	return statusMissed
}

// report returns the run's report, or a target row explaining its absence.
func report(run *Run, goal string) (*LoadReport, *Target) {
	switch {
	case run == nil:
		return nil, &Target{goal, "", statusNotRun}
	case run.Report == nil:
		return nil, &Target{goal, "error: " + firstLine(run.Err), statusNoFig}
	}
	return run.Report, nil
}

func fanoutTargets(r *Results) []Target {
	goals := []string{
		"10,000 WebSocket clients held (10 of 50 symbols each)",
		"≥ 200,000 delivered quotes/s at 2 ticks/symbol/s",
		"p99 end-to-end latency < 50 ms at that load",
		"≤ 3 server CPU-ms per 1,000 delivered quotes",
		"400,000/s offered (4 ticks/symbol/s) still delivered (≥ 95 %) with p99 < 100 ms",
	}
	var r2, r4 *Run
	if r.Fanout != nil {
		for i := range r.Fanout.Rates {
			switch r.Fanout.Rates[i].TickRate {
			case 2:
				r2 = &r.Fanout.Rates[i]
			case 4:
				r4 = &r.Fanout.Rates[i]
			}
		}
	}
	out := make([]Target, 0, len(goals))
	if rep, miss := report(r2, ""); miss != nil {
		for _, g := range goals[:4] {
			out = append(out, Target{g, miss.Figure, miss.Status})
		}
	} else {
		comp, size := r2.Clients == targetFanClients, fmt.Sprintf("run at %s clients", fmtInt(int64(r2.Clients)))
		out = append(out,
			Target{goals[0], fmt.Sprintf("%s open at the end, %s never connected", fmtInt(rep.Clients.OpenAtEnd), fmtInt(rep.Clients.Failed)),
				judge(rep.Clients.OpenAtEnd >= targetFanClients && rep.Clients.Failed == 0, comp, size)},
			Target{goals[1], fmtInt(int64(rep.Quotes.PerS)) + "/s", judge(rep.Quotes.PerS >= 200_000, comp, size)},
			Target{goals[2], fmtMs(rep.Latency.P99) + " ms", judge(rep.Latency.P99 < 50, comp, size)},
			Target{goals[3], fmtF(rep.cpuMsPer1k(), 2), judge(rep.Server != nil && rep.cpuMsPer1k() <= 3, comp, size)})
	}
	if rep, miss := report(r4, goals[4]); miss != nil {
		out = append(out, *miss)
	} else {
		share := 0.0
		if r4.Offered > 0 {
			share = rep.Quotes.PerS / r4.Offered
		}
		comp, size := r4.Clients == targetFanClients, fmt.Sprintf("run at %s clients", fmtInt(int64(r4.Clients)))
		out = append(out, Target{goals[4],
			fmt.Sprintf("%s/s of %s/s offered (%.0f %%), p99 %s ms", fmtInt(int64(rep.Quotes.PerS)), fmtInt(int64(r4.Offered)), share*100, fmtMs(rep.Latency.P99)),
			judge(share >= 0.95 && rep.Latency.P99 < 100, comp, size)})
	}
	return out
}

func memoryTarget(r *Results) Target {
	goal := "≤ 20 KiB server RSS per idle connection at 10,000 connections"
	var run *Run
	if r.Memory != nil {
		run = &r.Memory.Run
	}
	rep, miss := report(run, goal)
	if miss != nil {
		return *miss
	}
	if rep.Server == nil {
		return Target{goal, "no server sample", statusNoFig}
	}
	return Target{goal, fmt.Sprintf("%.1f KiB (%s connections)", rep.Server.RSSPerConn/1024, fmtInt(rep.Clients.OpenAtEnd)),
		judge(rep.Server.RSSPerConn <= 20*1024, run.Clients == targetFanClients, fmt.Sprintf("run at %s connections", fmtInt(int64(run.Clients))))}
}

// Issue 5's push-versus-poll targets: poll ÷ push per delivered update,
// and push's latency bound.
const (
	targetBytesRatio = 10
	targetCPURatio   = 5
	targetPushP99Ms  = 50
)

func pushTargets(r *Results) []Target {
	goals := []string{
		"Push ≥ 10× fewer bytes per delivered update than 1 s polling",
		"Push ≥ 5× less server CPU per delivered update than 1 s polling",
		"Push p99 latency < 50 ms (against 1 s polling's staleness)",
	}
	var push, poll *Run
	if r.PushPoll != nil {
		push, poll = &r.PushPoll.Push, pollAt(r.PushPoll, "1s")
	}
	pr, miss := report(push, "")
	if miss == nil {
		_, miss = report(poll, "")
	}
	if miss != nil {
		return []Target{{goals[0], miss.Figure, miss.Status}, {goals[1], miss.Figure, miss.Status}, {goals[2], miss.Figure, miss.Status}}
	}
	qr := poll.Report
	comp, size := push.Clients == targetPushClients, fmt.Sprintf("run at %s clients", fmtInt(int64(push.Clients)))
	bytesRatio, cpuRatio := ratio(qr.Bytes.PerQuote, pr.Bytes.PerQuote), ratio(qr.cpuMsPer1k(), pr.cpuMsPer1k())
	stale := "no staleness"
	if qr.Staleness != nil {
		stale = fmtMs(qr.Staleness.P99) + " ms"
	}
	return []Target{
		{goals[0], fmt.Sprintf("%s (poll %.0f vs push %.0f B; %s)", fmtRatio(bytesRatio), qr.Bytes.PerQuote, pr.Bytes.PerQuote, cheaperSide(bytesRatio)),
			judge(bytesRatio >= targetBytesRatio, comp, size)},
		{goals[1], fmt.Sprintf("%s (poll %s vs push %s CPU-ms/1k; %s)", fmtRatio(cpuRatio), fmtF(qr.cpuMsPer1k(), 2), fmtF(pr.cpuMsPer1k(), 2), cheaperSide(cpuRatio)),
			judge(cpuRatio >= targetCPURatio, comp, size)},
		{goals[2], fmt.Sprintf("%s ms (polling staleness p99 %s)", fmtMs(pr.Latency.P99), stale), judge(pr.Latency.P99 < targetPushP99Ms, comp, size)},
	}
}

func restTargets(r *Results) []Target {
	g1, g2 := "GET /api/v1/portfolio ≥ 15,000 req/s (64 connections)", "GET /api/v1/portfolio p99 < 10 ms"
	switch {
	case r.REST == nil:
		return []Target{{g1, "", statusNotRun}, {g2, "", statusNotRun}}
	case r.REST.Err != "":
		e := "error: " + firstLine(r.REST.Err)
		return []Target{{g1, e, statusNoFig}, {g2, e, statusNoFig}}
	}
	clean := r.REST.Non2xx == 0
	note := ""
	if !clean {
		note = fmt.Sprintf(" (%s non-2xx)", fmtInt(r.REST.Non2xx))
	}
	return []Target{
		{g1, fmtInt(int64(r.REST.ReqPerS)) + " req/s" + note, judge(clean && r.REST.ReqPerS >= 15_000, true, "")},
		{g2, fmtMs(r.REST.P99Ms) + " ms", judge(r.REST.P99Ms < 10, true, "")},
	}
}

func stormTarget(r *Results) Target {
	goal := "Login storm: quote p99 stays < 50 ms"
	var run *Run
	if r.Storm != nil {
		run = &r.Storm.Storm
	}
	rep, miss := report(run, goal)
	if miss != nil {
		return *miss
	}
	base := ""
	if b := r.Storm.Baseline.Report; b != nil {
		base = fmt.Sprintf(", %s ms without", fmtMs(b.Latency.P99))
	}
	fig := fmt.Sprintf("%s ms during %s logins/s%s", fmtMs(rep.Latency.P99), fmtF(r.Storm.Logins.PerS, 1), base)
	return Target{goal, fig, judge(rep.Latency.P99 < 50 && r.Storm.Logins.OK > 0, true, "")}
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}
