package main

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// loadSpec is one tickload run: the flags that vary by scenario.
type loadSpec struct {
	name     string // file stem of the raw JSON, e.g. "fanout-tick2-10000"
	mode     string
	clients  int
	symbols  int // 0 in ws mode: idle connections
	interval time.Duration
	ramp     time.Duration
	duration time.Duration
	// perAccount is tickload's -per-account; 0 means defaultPerAccount.
	perAccount int
	// scenarioEvent, when set, opens the window once a market-wide event
	// of this type is in force; tickload then reads the tick rate from the
	// server instead of being told it.
	scenarioEvent string
	// wsBatch, when set, is tickload's -ws-batch: "0s" reads every frame as
	// it arrives, so the latency measured holds none of the tool's waiting.
	wsBatch string
}

// defaultPerAccount is how many of a run's clients share one account (and
// its session): the servers' per-user cap is raised to 1000.
const defaultPerAccount = 250

// run is the record of spec before it runs.
func (spec loadSpec) run(tickRate float64) Run {
	r := Run{Name: spec.name, Mode: spec.mode, Clients: spec.clients, Symbols: spec.symbols, TickRate: tickRate}
	if spec.mode == "poll" {
		r.Interval = spec.interval.String()
	}
	return r
}

// args are tickload's flags for spec against srv (ticking at tickRate),
// the JSON going to path. A stream run is told the server's tick rate, from
// which tickload computes the ticks it expected.
func (b *bench) loadArgs(spec loadSpec, srv *server, tickRate float64, jsonPath string) []string {
	args := []string{
		"-url", srv.url, "-mode", spec.mode,
		"-clients", strconv.Itoa(spec.clients), "-symbols", strconv.Itoa(spec.symbols),
		"-ramp", spec.ramp.String(), "-duration", spec.duration.String(),
		"-per-account", strconv.Itoa(cmp.Or(spec.perAccount, defaultPerAccount)), "-server-pid", strconv.Itoa(srv.pid), "-json", jsonPath,
	}
	if spec.symbols > 0 {
		args = append(args, "-universe", strconv.Itoa(b.pool))
		if spec.mode != "poll" && spec.scenarioEvent == "" {
			args = append(args, "-tick-rate", strconv.FormatFloat(tickRate, 'f', -1, 64))
		}
	}
	if spec.scenarioEvent != "" {
		args = append(args, "-scenario-event", spec.scenarioEvent, "-scenario-wait", "2m")
	}
	if spec.mode == "poll" {
		args = append(args, "-interval", spec.interval.String())
	}
	if spec.wsBatch != "" {
		args = append(args, "-ws-batch", spec.wsBatch)
	}
	return args
}

// progressHook is called once, from the goroutine reading tickload's
// progress, when a line containing marker appears.
type progressHook struct {
	marker string
	fn     func()
}

// Markers of tickload's progress lines.
const (
	rampOpens   = "ws clients over" // "opening 1000 ws clients over 3s"
	windowOpens = "measuring for"   // "...; measuring for 20s"
)

// runLoad runs tickload against srv and reads its report. onWindow, if
// not nil, is called once when the measurement window opens.
func (b *bench) runLoad(ctx context.Context, srv *server, spec loadSpec, tickRate float64, onWindow func()) Run {
	var hooks []progressHook
	if onWindow != nil {
		hooks = append(hooks, progressHook{windowOpens, onWindow})
	}
	return b.runLoadHooks(ctx, srv, spec, tickRate, hooks...)
}

// runLoadHooks is runLoad calling each hook when its progress line appears.
func (b *bench) runLoadHooks(ctx context.Context, srv *server, spec loadSpec, tickRate float64, hooks ...progressHook) Run {
	jsonPath := filepath.Join(b.benchDir, spec.name+".json")
	args := b.loadArgs(spec, srv, tickRate, jsonPath)
	shown := append([]string{"tickload"}, args...)
	for i, a := range shown {
		switch {
		case a == srv.url:
			shown[i] = "http://127.0.0.1:$PORT"
		case a == strconv.Itoa(srv.pid) && shown[i-1] == "-server-pid":
			shown[i] = "$SERVER_PID"
		case a == jsonPath:
			shown[i] = filepath.ToSlash(jsonPath)
		}
	}
	run := spec.run(tickRate)
	run.Server, run.Load, run.File = srv.command(), shellJoin(shown), spec.name+".json"
	if spec.mode == "ws" && spec.symbols > 0 {
		run.Offered = float64(spec.clients*spec.symbols) * tickRate
	}
	_ = os.Remove(jsonPath)
	b.logf("%s: %s", spec.name, run.Load)

	lctx, cancel := context.WithTimeout(ctx, spec.ramp+spec.duration+5*time.Minute)
	defer cancel()
	pr, pw := io.Pipe()
	table := &lockedBuffer{}
	cmd, err := b.procs.start(lctx, table, pw, b.tickload, args...)
	if err != nil {
		pw.Close()
		run.Err = err.Error()
		return run
	}
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		b.scanProgress(pr, hooks)
	}()
	err = b.procs.wait(cmd)
	pw.Close()
	<-scanned
	fmt.Fprint(b.stderr, indent(table.tail(4096), "    "))
	if run.ServerLog = srv.problems(); run.ServerLog != "" {
		b.logf("%s: server logged: %s", spec.name, run.ServerLog)
	}
	rep, rerr := readLoadReport(jsonPath)
	if rerr != nil {
		run.Err = fmt.Sprintf("tickload: %v (%v)", err, rerr)
		return run
	}
	run.Report = rep
	if err != nil {
		run.Err = fmt.Sprintf("tickload: %v", err)
	}
	return run
}

// scanProgress copies tickload's progress lines to the benchmark's stderr
// and calls each hook at the first line holding its marker.
func (b *bench) scanProgress(r io.Reader, hooks []progressHook) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		fmt.Fprintf(b.stderr, "    %s\n", line)
		for i, h := range hooks {
			if h.fn != nil && strings.Contains(line, h.marker) {
				h.fn()
				hooks[i].fn = nil
			}
		}
	}
	_, _ = io.Copy(io.Discard, r)
}

// indent prefixes every non-empty line of s.
func indent(s, prefix string) string {
	var sb strings.Builder
	for _, line := range strings.SplitAfter(s, "\n") {
		if strings.TrimSpace(line) != "" {
			sb.WriteString(prefix + line)
		}
	}
	return sb.String()
}
