package main

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// shockScenario is the scenario file the shock scenario plays: a market-wide
// shock at 5 simulated minutes, with the tick rate four times the usual and
// volatility five times for ten minutes from then.
const shockScenario = "data/scenarios/flash-crash.yaml"

// shockTickRate is the usual ticks per symbol per real second of the shock
// scenario's servers, outside the scenario's rate event: the latency
// workloads' rate.
const shockTickRate = 2

// Shock is scenario 10: issue 11's latency workloads at 2 ticks/s, measured
// while a scenario's market-wide shock is in force (issue 14).
type Shock struct {
	Ran      time.Time `json:"ran"`
	Scenario string    `json:"scenario"` // the server's -scenario
	Speed    float64   `json:"speed"`    // the server's -speed
	Runs     []Run     `json:"runs"`
}

// runShock is scenario 10: a fresh server playing the flash crash at
// sizes.shockSpeed for each of sizes.shockClients, and tickload's window
// opened once the market-wide shock is in force.
func (b *bench) runShock(ctx context.Context) {
	sz := b.sz
	sh := &Shock{Ran: time.Now().UTC(), Scenario: shockScenario, Speed: sz.shockSpeed}
	for _, n := range sz.shockClients {
		if ctx.Err() != nil {
			break
		}
		spec := loadSpec{name: fmt.Sprintf("shock-%d", n), mode: "ws", clients: n, symbols: sz.symbols,
			ramp: sz.ramp(n), duration: sz.shockWindow(), scenarioEvent: "shock"}
		sh.Runs = append(sh.Runs, b.serveScenarioAndLoad(ctx, spec, sz.shockSpeed))
	}
	b.res.Shock = sh
}

// shockWindow is the tickload window of the shock scenario: the usual
// window, but no longer than the shock lasts (3 simulated minutes) less a
// margin for the ramp's end.
func (s sizes) shockWindow() time.Duration {
	shock := time.Duration(float64(3*time.Minute) / s.shockSpeed)
	return min(s.duration, shock*3/4).Round(100 * time.Millisecond)
}

// serveScenarioAndLoad starts a server playing the shock scenario at speed,
// ticking shockTickRate times per symbol per real second outside its
// events, and runs spec against it. tickload reads the tick rate from the
// server.
func (b *bench) serveScenarioAndLoad(ctx context.Context, spec loadSpec, speed float64) Run {
	srv, err := b.startServer(ctx, shockTickRate/speed,
		"-scenario", shockScenario, "-speed", strconv.FormatFloat(speed, 'f', -1, 64))
	if err != nil {
		r := spec.run(shockTickRate)
		r.Err = err.Error()
		return r
	}
	defer b.stopServer(srv)
	return b.runLoad(ctx, srv, spec, shockTickRate, nil)
}

// renderShock is scenario 10's section.
func renderShock(sb *strings.Builder, sh *Shock, quick bool, benchRel string) {
	sb.WriteString("## 10. A market-wide shock (issue 14)\n\n")
	if sh == nil || len(sh.Runs) == 0 {
		sb.WriteString("Not run.\n\n")
		return
	}
	fmt.Fprintf(sb, "Issue 11's workloads at 2 ticks/symbol/s (WebSocket clients, 10 of the pool's symbols each) on a server\n"+
		"playing `%s` at `-speed %g`; tickload (`-scenario-event shock`) opens its window only once the\n"+
		"market-wide shock is in force, so the window lies inside it. The scenario also multiplies every symbol's\n"+
		"tick rate by 4 and its volatility by 5 from the same moment: every symbol ticks at once, at 8 ticks/s.\n"+
		"Delivery is judged by delivered / (delivered + seq gaps); delivered / offered is shown where it is exact (each\n"+
		"symbol's `seq` read around the window, so the changing rate does not matter), \"n/a\" where only tickload's\n"+
		"nominal figure, which assumes a constant rate, exists. The targets are issue 11's at 2 ticks/s, judged only at\n"+
		"its sizes in a full run.\n\n",
		sh.Scenario, sh.Speed)
	var rows [][]string
	for _, r := range sh.Runs {
		name := fmt.Sprintf("%s × %d", fmtInt(int64(r.Clients)), r.Symbols)
		rep := r.Report
		if rep == nil {
			rows = append(rows, []string{name, runErr(r), "", "", "", "", "", ""})
			continue
		}
		t := targetFor(r.Clients, shockTickRate)
		judged := t != nil && !quick
		if t == nil {
			t = &latencyTarget{}
		}
		seq := math.NaN()
		if d := rep.Delivery; d != nil {
			seq = d.DeliveredSeqPct
		}
		rows = append(rows, []string{name, eventCell(rep), fmtInt(int64(rep.Quotes.PerS)), fmtMs(rep.Latency.P50),
			checked(fmtMs(rep.Latency.P99), rep.Latency.P99, t.p99Ms, true, judged),
			checked(fmtPct(seq), seq, t.delivered, false, judged),
			offeredCell(rep), errCell(rep)})
	}
	table(sb, []string{"Workload", "Window", "Quotes/s", "p50 (ms)", "p99 (ms)", "Delivered / (delivered + seq gaps)",
		"Delivered / offered", "Client errors"}, rows)
	if quick {
		sb.WriteString("A quick run: not the issue's sizes, so nothing is judged.\n\n")
	}
	runNotes(sb, sh.Runs)
	commands(sb, sh.Runs)
	rawLinks(sb, benchRel, runFiles(sh.Runs)...)
}

// eventCell names the event a run's window covered.
func eventCell(r *LoadReport) string {
	sc := r.Scenario
	if sc == nil {
		return "no event recorded"
	}
	size := ""
	if sc.Event.Percent != nil {
		size = fmt.Sprintf(" %+g %%", *sc.Event.Percent)
	}
	cell := fmt.Sprintf("%.1f s in %s's %s%s", r.WindowS, sc.Name, sc.Event.Type, size)
	if sc.RateEvents {
		cell += ", rate event"
	}
	if !sc.Inside {
		cell += "; the window outlasted it"
	}
	return cell
}
