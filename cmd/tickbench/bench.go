package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// bench is one invocation: its options, sizes, binaries and children.
type bench struct {
	opts         options
	sz           sizes
	procs        *procs
	tmp          string // removed on close
	benchDir     string
	goBin        string
	tickerd      string
	tickload     string
	pool         int      // clients draw their symbols from the universe's first pool
	universeArgs []string // server flags limiting its universe to pool, if it has one
	res          *Results
	stderr       io.Writer
}

// newBench raises the open-file limit, builds (or locates) the binaries and
// describes the machine.
func newBench(ctx context.Context, opts options, stderr io.Writer) (*bench, error) {
	b := &bench{opts: opts, sz: defaultSizes(opts.quick).withOverrides(opts), procs: newProcs(),
		benchDir: opts.benchDir(), stderr: stderr, goBin: "go"}
	b.pool = b.sz.pool
	nofile, err := raiseNoFile()
	if err != nil {
		b.logf("warning: %v", err)
	}
	need := uint64(max(b.sz.fanClients, b.sz.memClients, slicesMax(b.sz.steps)) + 200)
	for _, w := range b.sz.latency {
		need = max(need, uint64(w.clients)+200)
	}
	if nofile < need {
		b.logf("warning: open-file limit %d is below the %d the largest run needs; clients beyond it will fail", nofile, need)
	}
	b.logf("writing %s (raw output in %s)", opts.out, b.benchDir)
	if err := os.MkdirAll(b.benchDir, 0o755); err != nil {
		return nil, fmt.Errorf("bench dir: %w", err)
	}
	if b.tmp, err = os.MkdirTemp("", "tickbench-"); err != nil {
		return nil, fmt.Errorf("temp dir: %w", err)
	}
	if err := b.locateBinaries(ctx); err != nil {
		b.close()
		return nil, err
	}
	b.res = b.startResults(ctx, nofile)
	return b, nil
}

// close kills any child still running and removes the temp dir.
func (b *bench) close() {
	b.procs.killAll()
	if b.tmp != "" {
		_ = os.RemoveAll(b.tmp)
	}
}

func (b *bench) logf(format string, a ...any) {
	fmt.Fprintf(b.stderr, "tickbench: "+format+"\n", a...)
}

// locateBinaries builds tickerd and tickload into the temp dir unless the
// flags name prebuilt ones, and checks whether tickerd can restrict its
// universe.
func (b *bench) locateBinaries(ctx context.Context) error {
	b.tickerd, b.tickload = b.opts.tickerd, b.opts.tickload
	for _, t := range []struct {
		dst *string
		pkg string
	}{{&b.tickerd, "./cmd/tickerd"}, {&b.tickload, "./cmd/tickload"}} {
		if *t.dst != "" {
			continue
		}
		*t.dst = filepath.Join(b.tmp, filepath.Base(t.pkg))
		b.logf("building %s", t.pkg)
		cmd := exec.CommandContext(ctx, b.goBin, "build", "-o", *t.dst, t.pkg)
		cmd.Stdout, cmd.Stderr = b.stderr, b.stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("go build %s: %w", t.pkg, err)
		}
	}
	help, _ := exec.CommandContext(ctx, b.tickerd, "-help").CombinedOutput()
	if strings.Contains(string(help), "-universe-size") {
		b.universeArgs = []string{"-universe-size", strconv.Itoa(b.pool)}
	}
	return nil
}

// startResults describes the machine and, with -only, keeps the other
// scenarios' last results, recording the selected ones as a rerun.
func (b *bench) startResults(ctx context.Context, nofile uint64) *Results {
	m := describeMachine(ctx, b.goBin)
	m.OpenFiles = nofile
	r := &Results{Generated: time.Now().UTC().Truncate(time.Second), Quick: b.opts.quick, Machine: m}
	if b.opts.only != nil {
		// Keep the other scenarios only from a run of the same kind.
		if old, err := readResults(filepath.Join(b.benchDir, "results.json")); err == nil && old.Quick == b.opts.quick {
			r = old
			mergeRerun(r, b.opts.only, m)
		}
	}
	r.Build = []string{"go build -o $TMP/tickerd ./cmd/tickerd", "go build -o $TMP/tickload ./cmd/tickload"}
	if b.opts.tickerd != "" || b.opts.tickload != "" {
		r.Build = append(r.Build, "(prebuilt binaries given with -tickerd/-tickload)")
	}
	if b.universeArgs != nil {
		r.Universe = fmt.Sprintf("the server serves only its first %d symbols (tickerd %s)", b.pool, strings.Join(b.universeArgs, " "))
	} else {
		r.Universe = fmt.Sprintf("clients draw their symbols from the server's first %d symbols (tickload -universe %d); "+
			"tickerd has no flag to restrict its universe, so it still ticks every symbol of data/symbols.csv", b.pool, b.pool)
	}
	return r
}

// runAll runs the selected scenarios in order, saving the results and the
// Markdown after each one so that an interrupted run keeps what it measured.
func (b *bench) runAll(ctx context.Context) error {
	steps := []struct {
		name string
		run  func(context.Context)
	}{
		{"push-poll", b.runPushPoll}, {"fanout", b.runFanout}, {"memory", b.runMemory},
		{"rest", b.runREST}, {"go", b.runGoBench}, {"storm", b.runStorm},
		{"push-poll-rates", b.runPushPollRates}, {"latency", b.runLatency}, {"cluster", b.runCluster},
		{"shock", b.runShock},
	}
	t0 := time.Now()
	for _, s := range steps {
		if !b.opts.selected(s.name) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("stopped before %s: %w", s.name, err)
		}
		b.logf("scenario %s (%s so far)", s.name, time.Since(t0).Round(time.Second))
		b.removeOld(s.name)
		s.run(ctx)
		if err := b.save(); err != nil {
			return err
		}
	}
	b.logf("done in %s", time.Since(t0).Round(time.Second))
	return ctx.Err()
}

// save writes results.json and renders the Markdown.
func (b *bench) save() error {
	if err := writeResults(filepath.Join(b.benchDir, "results.json"), b.res); err != nil {
		return err
	}
	return writeMarkdown(b.opts.out, b.benchDir, b.res)
}

// filePrefixes are the raw output files of each scenario, removed before
// it runs again so no stale file is left beside the new ones.
var filePrefixes = map[string][]string{
	"push-poll": {"pushpoll-"}, "fanout": {"fanout-"}, "memory": {"memory-"},
	"rest": {"rest-"}, "go": {"gobench", "benchstat"}, "storm": {"storm-"},
	"push-poll-rates": {"pushpollrate-", "pushpollslow-"}, "latency": {"latency-"}, "cluster": {"cluster-"}, "shock": {"shock-"},
}

func (b *bench) removeOld(scenario string) {
	entries, _ := os.ReadDir(b.benchDir)
	for _, e := range entries {
		for _, p := range filePrefixes[scenario] {
			if strings.HasPrefix(e.Name(), p) {
				_ = os.Remove(filepath.Join(b.benchDir, e.Name()))
			}
		}
	}
}

func slicesMax(s []int) int {
	m := 0
	for _, v := range s {
		m = max(m, v)
	}
	return m
}
