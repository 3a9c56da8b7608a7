package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// rawLinks lists the raw files of runs.
func rawLinks(sb *strings.Builder, benchRel string, files ...string) {
	var links []string
	for _, f := range files {
		if f != "" {
			links = append(links, fmt.Sprintf("[%s](%s/%s)", f, benchRel, f))
		}
	}
	if len(links) > 0 {
		sb.WriteString("Raw: " + strings.Join(links, ", ") + ".\n\n")
	}
}

func runFiles(runs []Run) []string {
	var out []string
	for _, r := range runs {
		if r.Report != nil {
			out = append(out, r.File)
		}
	}
	return out
}

func renderPushPoll(sb *strings.Builder, pp *PushPoll, benchRel string) {
	sb.WriteString("## 1. Push vs poll\n\n")
	pushPollBody(sb, pp, benchRel)
}

// renderPushPollRates is scenario 7: push against 1 s polling from busy
// prices to quiet ones, with scenario 1's rate (pp1) as the first row.
func renderPushPollRates(sb *strings.Builder, sweep []*PushPoll, pp1 *PushPoll, benchRel string) {
	sb.WriteString("## 7. Push vs 1 s polling, from busy prices to quiet ones\n\n")
	if len(sweep) == 0 {
		sb.WriteString("Not run.\n\n")
		return
	}
	all := sweep
	if pp1 != nil {
		all = append([]*PushPoll{pp1}, sweep...)
	}
	fmt.Fprintf(sb, "Scenario 1's push and 1 s polling again at lower tick rates, a fresh server per run (the first row is\n"+
		"scenario 1). How much push saves depends on how often a client's prices change between two polls: when\n"+
		"they change faster than it polls, one poll carries many fresh quotes for the price of one request; when\n"+
		"they change slowly, most polls find nothing new (304) and push sends only real changes. Ratios are\n"+
		"poll ÷ push per delivered update; issue 5's targets are %d× bytes and %d× CPU, with push p99 < %d ms.\n\n",
		targetBytesRatio, targetCPURatio, targetPushP99Ms)
	var rows [][]string
	var runs []Run
	var meets []string
	for _, pp := range all {
		rate := pp.TickRate
		if rate == 0 {
			rate = 2
		}
		poll := pollAt(pp, "1s")
		runs = append(runs, pp.Push)
		if poll != nil {
			runs = append(runs, *poll)
		}
		pr := pp.Push.Report
		if pr == nil || poll == nil || poll.Report == nil {
			why := runErr(pp.Push)
			if poll != nil && pr != nil {
				why = runErr(*poll)
			}
			rows = append(rows, []string{fmtF(rate, 2), why, "", "", "", "", "", "", "", ""})
			continue
		}
		row, br, cr := pushPollRateRow(rate, pp.Push.Symbols, pr, poll.Report)
		rows = append(rows, row)
		if br >= targetBytesRatio && cr >= targetCPURatio && pr.Latency.P99 < targetPushP99Ms {
			meets = append(meets, fmtF(rate, 2))
		}
	}
	table(sb, []string{"Ticks/symbol/s", "A client's symbols change every", "Updates/s push / poll",
		"Bytes per update push / poll", "Bytes poll÷push", "CPU-ms per 1,000 push / poll", "CPU poll÷push",
		"Push latency p99 (ms)", "Push delivered / offered", "Poll staleness p99 (ms)"}, rows)
	sb.WriteString(deliveredNote)
	if len(meets) == 0 {
		sb.WriteString("At none of these rates does push meet all three targets.\n\n")
	} else {
		fmt.Fprintf(sb, "Push meets all three targets at %s ticks/symbol/s.\n\n", strings.Join(meets, ", "))
	}
	runNotes(sb, runs)
	commands(sb, runs)
	rawLinks(sb, benchRel, runFiles(runs)...)
}

// pushPollRateRow is one row of scenario 7: push (pr) against 1 s polling
// (qr) at rate ticks/symbol/s on symbols per client, with the bytes and CPU
// ratios (poll ÷ push).
func pushPollRateRow(rate float64, symbols int, pr, qr *LoadReport) (row []string, br, cr float64) {
	every := time.Duration(float64(time.Second) / (rate * float64(symbols)))
	br = ratio(qr.Bytes.PerQuote, pr.Bytes.PerQuote)
	cr = ratio(qr.cpuMsPer1k(), pr.cpuMsPer1k())
	stale := "—"
	if qr.Staleness != nil {
		stale = fmtMs(qr.Staleness.P99)
	}
	return []string{fmtF(rate, 2), every.Round(10 * time.Millisecond).String(),
		fmtInt(int64(pr.Quotes.PerS)) + " / " + fmtInt(int64(qr.Quotes.PerS)),
		fmtF(pr.Bytes.PerQuote, 0) + " / " + fmtF(qr.Bytes.PerQuote, 0), ratioCell(br),
		fmtF(pr.cpuMsPer1k(), 1) + " / " + fmtF(qr.cpuMsPer1k(), 1), ratioCell(cr),
		fmtMs(pr.Latency.P99), offeredCell(pr), stale}, br, cr
}

// pollAt returns pp's polling run at interval, or nil.
func pollAt(pp *PushPoll, interval string) *Run {
	for i := range pp.Polls {
		if pp.Polls[i].Interval == interval {
			return &pp.Polls[i]
		}
	}
	return nil
}

func pushPollBody(sb *strings.Builder, pp *PushPoll, benchRel string) {
	if pp == nil {
		sb.WriteString("Not run.\n\n")
		return
	}
	rate := pp.TickRate
	if rate == 0 {
		rate = 2
	}
	runs := append([]Run{pp.Push}, pp.Polls...)
	fmt.Fprintf(sb, "The same %s clients × %d symbols (round-robin over the pool), %g ticks/symbol/s, a fresh server per row.\n"+
		"Bytes are read at the client's socket, headers and framing included. Latency is from the tick's `ts` to\n"+
		"receipt; for polling it is the age of each new quote when first seen, and staleness is the age of the\n"+
		"newest price a client holds at each answer.\n\n", fmtInt(int64(pp.Push.Clients)), pp.Push.Symbols, rate)
	var rows [][]string
	for _, r := range runs {
		name := "WebSocket push"
		if r.Mode == "poll" {
			name = "poll every " + r.Interval
		}
		rep := r.Report
		if rep == nil {
			rows = append(rows, []string{name, runErr(r), "", "", "", "", "", ""})
			continue
		}
		stale := "—"
		if rep.Staleness != nil {
			stale = fmtMs(rep.Staleness.P50) + " / " + fmtMs(rep.Staleness.P99)
		}
		rows = append(rows, []string{name, fmtInt(int64(rep.Quotes.PerS)), offeredCell(rep), fmtF(rep.Bytes.PerQuote, 1),
			fmtF(rep.cpuMsPer1k(), 2), fmtMs(rep.Latency.P50) + " / " + fmtMs(rep.Latency.P99), stale, errCell(rep)})
	}
	table(sb, []string{"Mode", "Updates/s", "Delivered / offered", "Bytes per update", "Server CPU-ms per 1,000 updates",
		"Latency p50 / p99 (ms)", "Staleness p50 / p99 (ms)", "Client errors"}, rows)
	sb.WriteString(deliveredNote)
	if pr := pp.Push.Report; pr != nil {
		var rr [][]string
		for _, p := range pp.Polls {
			if q := p.Report; q != nil {
				rr = append(rr, []string{"every " + p.Interval, ratioCell(ratio(q.Bytes.PerQuote, pr.Bytes.PerQuote)),
					ratioCell(ratio(q.cpuMsPer1k(), pr.cpuMsPer1k()))})
			}
		}
		sb.WriteString("Poll / push, per delivered update:\n\n")
		table(sb, []string{"Polling", "Bytes", "Server CPU"}, rr)
	}
	runNotes(sb, runs)
	commands(sb, runs)
	rawLinks(sb, benchRel, runFiles(runs)...)
}

func renderFanout(sb *strings.Builder, fo *Fanout, benchRel string) {
	sb.WriteString("## 2. Fan-out capacity\n\n")
	if fo == nil {
		sb.WriteString("Not run.\n\n")
		return
	}
	sb.WriteString("WebSocket clients, each subscribed to 10 symbols of the pool (round-robin, so every symbol has the same\n" +
		"number of subscribers). Offered = clients × symbols × tick rate. Latency in ms from the tick's `ts` to receipt.\n\n")
	var rows [][]string
	for _, r := range fo.Rates {
		rep := r.Report
		if rep == nil {
			rows = append(rows, []string{fmtF(r.TickRate, 0), fmtInt(int64(r.Clients)), runErr(r)})
			continue
		}
		l := rep.Latency
		rows = append(rows, []string{fmtF(r.TickRate, 0), fmtInt(rep.Clients.OpenAtEnd) + " of " + fmtInt(int64(r.Clients)),
			fmtInt(int64(r.Offered)), fmtInt(int64(rep.Quotes.PerS)), offeredCell(rep),
			fmtMs(l.P50), fmtMs(l.P90), fmtMs(l.P99), fmtMs(l.P999), fmtMs(l.Max),
			fmtF(rep.cpuMsPer1k(), 2), fmtF(rep.Quotes.PerFrame, 2), errCell(rep)})
	}
	table(sb, []string{"Ticks/symbol/s", "Clients open", "Offered/s", "Delivered/s", "Delivered / offered", "p50", "p90", "p99", "p99.9", "max",
		"CPU-ms per 1,000", "Quotes per frame", "Client errors"}, rows)
	sb.WriteString(deliveredNote)
	renderFanoutAlerts(sb, fo)

	fmt.Fprintf(sb, "Step search at %s ticks/symbol/s for the largest client count whose p99 stays under %s ms\n"+
		"(all clients must stay connected; the search stops at the first failing step):\n\n", fmtF(fo.StepRate, 0), fmtF(fo.StepP99Ms, 0))
	var srows [][]string
	for _, s := range fo.Steps {
		verdict, delivered, share := "fail", "", ""
		if s.Pass {
			verdict = "pass"
		}
		if s.Run.Report != nil {
			delivered, share = fmtInt(int64(s.Run.Report.Quotes.PerS)), offeredCell(s.Run.Report)
		}
		srows = append(srows, []string{fmtInt(int64(s.Clients)), delivered, share, s.Why, verdict})
	}
	table(sb, []string{"Clients", "Delivered/s", "Delivered / offered", "Result", "p99 < bound"}, srows)
	largest := "none of the steps"
	if fo.MaxClients > 0 {
		largest = fmtInt(int64(fo.MaxClients)) + " clients"
	}
	fmt.Fprintf(sb, "**Largest client count with p99 under %s ms: %s** (%s).\n\n", fmtF(fo.StepP99Ms, 0), largest, fo.StepNote)
	runs := slices.Clone(fo.Rates)
	if fo.WithAlerts != nil {
		runs = append(runs, *fo.WithAlerts)
	}
	for _, s := range fo.Steps {
		if !slices.ContainsFunc(runs, func(r Run) bool { return r.Name == s.Run.Name }) {
			runs = append(runs, s.Run)
		}
	}
	runNotes(sb, runs)
	commands(sb, runs)
	rawLinks(sb, benchRel, runFiles(runs)...)
}

func renderMemory(sb *strings.Builder, m *Memory, benchRel string) {
	sb.WriteString("## 3. Memory per idle connection\n\n")
	if m == nil {
		sb.WriteString("Not run.\n\n")
		return
	}
	sb.WriteString("Open WebSocket connections with no subscription. RSS per connection is the server's RSS at the end of the\n" +
		"window minus its idle baseline (sampled before any login), divided by the open connections.\n\n")
	rep := m.Run.Report
	switch {
	case rep == nil:
		table(sb, []string{"Idle connections", "Result"}, [][]string{{fmtInt(int64(m.Run.Clients)), runErr(m.Run)}})
	case rep.Server == nil:
		table(sb, []string{"Idle connections", "Result"}, [][]string{{fmtInt(rep.Clients.OpenAtEnd), "no server sample"}})
	default:
		table(sb, []string{"Idle connections open", "Server RSS at the end", "RSS per connection"}, [][]string{{
			fmtInt(rep.Clients.OpenAtEnd), fmtF(float64(rep.Server.End.RSSBytes)/(1<<20), 1) + " MiB",
			fmtF(rep.Server.RSSPerConn/1024, 1) + " KiB"}})
	}
	runNotes(sb, []Run{m.Run})
	commands(sb, []Run{m.Run})
	rawLinks(sb, benchRel, runFiles([]Run{m.Run})...)
}

func renderREST(sb *strings.Builder, rs *REST, benchRel string) {
	sb.WriteString("## 4. REST: GET /api/v1/portfolio\n\n")
	if rs == nil {
		sb.WriteString("Not run.\n\n")
		return
	}
	if rs.Err != "" {
		fmt.Fprintf(sb, "Error: %s\n\n", firstLine(rs.Err))
	} else {
		table(sb, []string{"Requests/s", "p50 (ms)", "p90 (ms)", "p99 (ms)", "Non-2xx", "Socket errors", "Server CPU-ms per 1,000 requests"},
			[][]string{{fmtInt(int64(rs.ReqPerS)), fmtMs(rs.P50Ms), fmtMs(rs.P90Ms), fmtMs(rs.P99Ms), fmtInt(rs.Non2xx),
				firstNonEmpty(rs.SockErrors, "none"), fmtF(rs.CPUMsPer1k, 2)}})
	}
	if rs.Setup != "" {
		fmt.Fprintf(sb, "Setup: %s.\n\n", rs.Setup)
	}
	if rs.Command != "" {
		sb.WriteString("Commands:\n\n")
		codeBlock(sb, "sh", rs.Server, rs.Command)
	}
	rawLinks(sb, benchRel, rs.File)
}

func renderGoBench(sb *strings.Builder, gb *GoBench, benchRel string) {
	sb.WriteString("## 5. Go benchmarks: hub and quote encoder\n\n")
	if gb == nil {
		sb.WriteString("Not run.\n\n")
		return
	}
	if gb.Err != "" {
		fmt.Fprintf(sb, "Error: %s\n\n", firstLine(gb.Err))
	}
	sb.WriteString("Commands:\n\n")
	codeBlock(sb, "sh", gb.Command, gb.Benchstat)
	if gb.Summary != "" {
		codeBlock(sb, "", gb.Summary)
	}
	stat := ""
	if gb.Summary != "" {
		stat = gb.StatFile
	}
	rawLinks(sb, benchRel, gb.File, stat)
}

func renderStorm(sb *strings.Builder, st *Storm, benchRel string) {
	sb.WriteString("## 6. Login storm\n\n")
	if st == nil {
		sb.WriteString("Not run.\n\n")
		return
	}
	l := st.Logins
	fmt.Fprintf(sb, "WebSocket quote latency with no logins, then while %d workers send correct logins back to back (each a\n"+
		"deliberately slow password hash) for the whole window. The server keeps its default `-hash-concurrency`.\n"+
		"CPU-ms per 1,000 is the server's whole CPU, hashing included.\n\n", l.Workers)
	var rows [][]string
	for _, r := range []Run{st.Baseline, st.Storm} {
		name := "no logins"
		if r.Name == st.Storm.Name {
			name = "login storm"
		}
		if rep := r.Report; rep != nil {
			rows = append(rows, []string{name, fmtInt(rep.Clients.OpenAtEnd), fmtInt(int64(rep.Quotes.PerS)), offeredCell(rep),
				fmtMs(rep.Latency.P50), fmtMs(rep.Latency.P99), fmtMs(rep.Latency.Max), fmtF(rep.cpuMsPer1k(), 2), errCell(rep)})
		} else {
			rows = append(rows, []string{name, runErr(r), "", "", "", "", "", "", ""})
		}
	}
	table(sb, []string{"Run", "Clients open", "Delivered/s", "Delivered / offered", "p50 (ms)", "p99 (ms)", "max (ms)", "CPU-ms per 1,000", "Client errors"}, rows)
	sb.WriteString(deliveredNote)
	var status []string
	for k, v := range l.ByStatus {
		status = append(status, fmt.Sprintf("%s: %s", k, fmtInt(v)))
	}
	fmt.Fprintf(sb, "Logins during the window: %s (%s/s), latency p50 %s ms, p99 %s ms, max %s ms; by status: %s.\n\n",
		fmtInt(l.Total), fmtF(l.PerS, 1), fmtMs(l.P50Ms), fmtMs(l.P99Ms), fmtMs(l.MaxMs), firstNonEmpty(strings.Join(sortedStrings(status), ", "), "none"))
	runs := []Run{st.Baseline, st.Storm}
	runNotes(sb, runs)
	commands(sb, runs)
	sb.WriteString("The storm itself is tickbench's own loop (`POST /api/v1/auth/login` from each worker, one account per worker),\n" +
		"started when tickload opens its window and stopped when it closes.\n\n")
	rawLinks(sb, benchRel, runFiles(runs)...)
}

// firstNonEmpty returns the first non-empty string.
func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func sortedStrings(s []string) []string {
	slices.Sort(s)
	return s
}

// deliveredNote explains the delivered / offered column of a push table.
const deliveredNote = "Delivered / offered: of the quotes the server produced for the subscriptions during the window (each symbol's\n" +
	"`seq` read just before and just after it), the share clients received. Marked ≈: runs from before tickload read the\n" +
	"seqs, with its delivered ÷ expected ticks instead (a few percent either way, ticks being random); \"—\" for polling\n" +
	"and for results from before tickload reported delivery (issue 11).\n\n"

// renderFanoutAlerts compares the first rate's run with the same load on a
// server holding active price alerts that never fire.
func renderFanoutAlerts(sb *strings.Builder, fo *Fanout) {
	if fo.WithAlerts == nil || len(fo.Rates) == 0 {
		return
	}
	fmt.Fprintf(sb, "The first row again on a server holding %s active price alerts over the pool's symbols, none of\n"+
		"which fires: every tick is tested against them (one map lookup and four comparisons when none fires).\n\n",
		fmtInt(int64(fo.AlertCount)))
	base, with := fo.Rates[0], *fo.WithAlerts
	row := func(label string, r Run) []string {
		rep := r.Report
		if rep == nil {
			return []string{label, runErr(r), "", "", "", ""}
		}
		return []string{label, fmtInt(int64(rep.Quotes.PerS)), offeredCell(rep), fmtMs(rep.Latency.P50),
			fmtMs(rep.Latency.P99), fmtF(rep.cpuMsPer1k(), 2)}
	}
	table(sb, []string{"Server", "Delivered/s", "Delivered / offered", "p50", "p99", "CPU-ms per 1,000"},
		[][]string{row("no alerts", base), row(fmtInt(int64(fo.AlertCount))+" alerts", with)})
	if base.Report != nil && with.Report != nil && base.Report.cpuMsPer1k() > 0 {
		fmt.Fprintf(sb, "With the alerts: CPU per 1,000 delivered %s× and p99 %s× the run without (one run each).\n\n",
			fmtF(with.Report.cpuMsPer1k()/base.Report.cpuMsPer1k(), 2), fmtF(with.Report.Latency.P99/max(base.Report.Latency.P99, 0.001), 2))
	}
}
