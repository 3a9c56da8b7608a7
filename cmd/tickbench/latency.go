package main

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// latencyTarget is issue 11's target for one workload; a zero bound has no
// target.
type latencyTarget struct {
	clients    int
	tickRate   float64
	p99Ms      float64 // at most
	delivered  float64 // delivered / offered (exact), percent, at least
	cpuMsPer1k float64 // at most
	rssKiB     float64 // RSS per connection with ticks flowing, at most
}

// latencyTargets are issue 11's targets (10 symbols of 50 per client).
var latencyTargets = []latencyTarget{
	{clients: 1_000, tickRate: 2, p99Ms: 3, delivered: 99.9, cpuMsPer1k: 8},
	{clients: 10_000, tickRate: 2, p99Ms: 55, delivered: 99.5, cpuMsPer1k: 6, rssKiB: 30},
	{clients: 10_000, tickRate: 4, p99Ms: 100, delivered: 99, cpuMsPer1k: 3.5},
}

// targetFor returns the target of a workload of that size, or nil.
func targetFor(clients int, tickRate float64) *latencyTarget {
	for i, t := range latencyTargets {
		if t.clients == clients && t.tickRate == tickRate {
			return &latencyTargets[i]
		}
	}
	return nil
}

// latencyMedians are the medians of a workload's runs that have a report;
// NaN where no run has the figure.
type latencyMedians struct {
	runs, ok     int
	p50, p99     float64
	delivered    float64 // delivered / offered (exact, by the server's seqs), percent
	nominal      float64 // delivered / expected (subscriptions × tick rate × window), percent
	deliveredSeq float64 // delivered / (delivered + seq gaps), percent
	cpuMsPer1k   float64
	rssKiB       float64
	perFrame     float64
}

func medians(w LatencyWorkload) latencyMedians {
	m := latencyMedians{runs: len(w.Runs)}
	var p50, p99, del, nom, seq, cpu, rss, pf []float64
	for _, r := range w.Runs {
		rep := r.Report
		if rep == nil {
			continue
		}
		m.ok++
		p50, p99, pf = append(p50, rep.Latency.P50), append(p99, rep.Latency.P99), append(pf, rep.Quotes.PerFrame)
		if d := rep.Delivery; d != nil {
			nom, seq = append(nom, d.DeliveredPct), append(seq, d.DeliveredSeqPct)
			if pct, ok := d.exactPct(); ok {
				del = append(del, pct)
			}
		}
		if s := rep.Server; s != nil {
			cpu, rss = append(cpu, s.CPUMsPer1k), append(rss, s.RSSPerConn/1024)
		}
	}
	m.p50, m.p99, m.perFrame = median(p50), median(p99), median(pf)
	m.delivered, m.nominal, m.deliveredSeq = median(del), median(nom), median(seq)
	m.cpuMsPer1k, m.rssKiB = median(cpu), median(rss)
	return m
}

// median of v, or NaN for none.
func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}

// checked writes a figure with its target beside it: "23.2 ✘ (≤ 3)". No
// mark when the figure is missing, there is no target (bound 0) or the run
// is not judged.
func checked(fig string, v, bound float64, atMost, judged bool) string {
	if fig == "" || math.IsNaN(v) {
		fig = "—"
	}
	if bound == 0 {
		return fig
	}
	cmp := "≥"
	if atMost {
		cmp = "≤"
	}
	want := cmp + " " + strings.TrimRight(strings.TrimRight(fmtF(bound, 1), "0"), ".")
	if !judged || math.IsNaN(v) {
		return fig + " (target " + want + ")"
	}
	ok := v >= bound
	if atMost {
		ok = v <= bound
	}
	mark := "✘"
	if ok {
		mark = "✔"
	}
	return fig + " " + mark + " (" + want + ")"
}

func fmtPct(v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	return fmtF(v, 1) + " %"
}

func fmtNaN(v float64, d int) string {
	if math.IsNaN(v) {
		return "—"
	}
	return fmtF(v, d)
}

// fmtPct2 is a percentage to two decimals, for figures judged near 100 %.
func fmtPct2(v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	return fmtF(v, 2) + " %"
}

// latencyIntro explains section 8's figures.
const latencyIntro = "Issue 11's workloads: WebSocket clients, each on 10 of the pool's symbols (round-robin), a fresh server per\n" +
	"run, %d run(s) of each; every figure is the median of the runs. tickload is told the server's tick rate; at 1,000\n" +
	"clients it reads every frame as it arrives (`-ws-batch 0`), so its own batching wait is not in the latency, and at\n" +
	"10,000 it waits up to 1 ms to read frames in batches, which costs less CPU on the cores the server shares with it\n" +
	"(reading per frame there took the tool from half a core to three quarters, and the server's p99 up by half or\n" +
	"more). Delivered / offered is\n" +
	"exact: of the quotes the server produced in the window for the subscriptions (each symbol's `seq` as the window\n" +
	"opens and closes), the share clients received; the target is judged on it. Delivered / expected is the nominal\n" +
	"figure, tickload's delivered ÷ (subscriptions × tick rate × window): ticks are random, so over a window of seconds\n" +
	"the server's real count differs from that by a few percent either way. Delivered / (delivered + seq gaps) counts\n" +
	"the ticks a client saw skipped in `seq`. RSS per connection is with ticks flowing. Issue 11's targets are beside\n" +
	"each figure, judged (✔/✘) only at its sizes in a full run.\n\n"

func renderLatency(sb *strings.Builder, lt *Latency, quick bool, benchRel string) {
	sb.WriteString("## 8. Latency and delivery (issue 11)\n\n")
	if lt == nil || len(lt.Workloads) == 0 {
		sb.WriteString("Not run.\n\n")
		return
	}
	runs := 0
	for _, w := range lt.Workloads {
		runs = max(runs, len(w.Runs))
	}
	fmt.Fprintf(sb, latencyIntro, runs)
	var rows [][]string
	var all []Run
	for _, w := range lt.Workloads {
		all = append(all, w.Runs...)
		rows = append(rows, latencyRow(w, quick))
	}
	table(sb, []string{"Workload", "Runs", "p50 (ms)", "p99 (ms)", "Delivered / offered (exact)", "Delivered / expected (nominal)",
		"Delivered / (delivered + seq gaps)", "Server CPU-ms per 1,000 delivered", "RSS per connection, fed (KiB)",
		"Quotes per frame"}, rows)
	if quick {
		sb.WriteString("A quick run: not the issue's sizes, so nothing is judged.\n\n")
	}
	var rr [][]string
	for _, r := range all {
		rr = append(rr, latencyRunRow(r))
	}
	sb.WriteString("Each run:\n\n")
	table(sb, []string{"Run", "Clients open", "p50 / p99 (ms)", "Delivered / offered (exact)", "Delivered / expected (nominal)",
		"Delivered / (delivered + seq gaps)", "CPU-ms per 1,000", "Client errors"}, rr)
	runNotes(sb, all)
	commands(sb, all)
	rawLinks(sb, benchRel, runFiles(all)...)
}

// latencyRow is a workload's medians, judged against issue 11's targets
// when it has them and the run was not quick.
func latencyRow(w LatencyWorkload, quick bool) []string {
	m := medians(w)
	name := fmt.Sprintf("%s × %d, %g ticks/s", fmtInt(int64(w.Clients)), w.Symbols, w.TickRate)
	runsCell := fmt.Sprint(m.ok)
	if m.ok < m.runs {
		runsCell = fmt.Sprintf("%d of %d", m.ok, m.runs)
	}
	if m.ok == 0 {
		return []string{name, runsCell, runErr(w.Runs[0]), "", "", "", "", "", "", ""}
	}
	t := targetFor(w.Clients, w.TickRate)
	judged := t != nil && !quick
	if t == nil {
		t = &latencyTarget{}
	}
	return []string{name, runsCell, fmtMs(m.p50),
		checked(fmtMs(m.p99), m.p99, t.p99Ms, true, judged),
		checked(fmtPct2(m.delivered), m.delivered, t.delivered, false, judged),
		fmtPct(m.nominal),
		fmtPct(m.deliveredSeq),
		checked(fmtNaN(m.cpuMsPer1k, 2), m.cpuMsPer1k, t.cpuMsPer1k, true, judged),
		checked(fmtNaN(m.rssKiB, 1), m.rssKiB, t.rssKiB, true, judged),
		fmtNaN(m.perFrame, 2)}
}

// latencyRunRow is one run of a workload.
func latencyRunRow(r Run) []string {
	rep := r.Report
	if rep == nil {
		return []string{r.Name, runErr(r), "", "", "", "", "", ""}
	}
	exact, seq, gaps := "—", "—", "—"
	if d := rep.Delivery; d != nil {
		seq, gaps = fmtPct(d.DeliveredSeqPct), fmtInt(d.SeqGaps)
		if pct, ok := d.exactPct(); ok {
			exact = fmtPct2(pct) + " (" + fmtInt(d.OfferedDelivered) + " of " + fmtInt(d.Offered) + ")"
		}
	}
	return []string{r.Name, fmtInt(rep.Clients.OpenAtEnd), fmtMs(rep.Latency.P50) + " / " + fmtMs(rep.Latency.P99),
		exact, deliveredCell(rep), seq + " (" + gaps + " gaps)", fmtF(rep.cpuMsPer1k(), 2), errCell(rep)}
}
