package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// scenarioNames are the scenarios in the order they run (and their numbers
// in issue 5, 1-based).
var scenarioNames = []string{"push-poll", "fanout", "memory", "rest", "go", "storm", "push-poll-rates", "latency", "cluster", "shock"}

// options are the command-line flags.
type options struct {
	out        string
	only       map[string]bool // nil: all
	quick      bool
	renderOnly bool
	timeout    time.Duration
	tickerd    string // prebuilt binaries; empty: build them
	tickload   string
	// Overrides of the sizes; 0 keeps the default.
	clients      int
	pushClients  int
	stormClients int
	logins       int
	duration     time.Duration
	steps        string
}

// benchDir is where the raw output goes: bench/ beside the Markdown.
func (o *options) benchDir() string { return filepath.Join(filepath.Dir(o.out), "bench") }

// selected reports whether scenario name runs.
func (o *options) selected(name string) bool { return o.only == nil || o.only[name] }

func parseOptions(args []string, stderr io.Writer) (options, error) {
	var o options
	var only string
	fs := flag.NewFlagSet("tickbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, `Usage: tickbench [flags]

Runs tickerd's benchmark on this machine and writes the Markdown report and
the raw output (docs/bench/ beside it). Scenarios, in order (-only takes
names or numbers): %s.
Run it on a quiet machine: the load tool shares the cores with the server.

Flags:
`, strings.Join(scenarioNames, ", "))
		fs.PrintDefaults()
	}
	fs.StringVar(&o.out, "out", "docs/BENCHMARKS.md", "Markdown report to write; raw output goes to bench/ beside it (with -quick the default is a temp dir, so a check never overwrites the real figures)")
	fs.StringVar(&only, "only", "", "comma-separated scenarios to run (names or 1-10); the others keep their last results")
	fs.BoolVar(&o.quick, "quick", false, "small sizes and short windows: a check of the harness in about a minute, not the benchmark")
	fs.BoolVar(&o.renderOnly, "render", false, "only re-render the Markdown from bench/results.json (after editing bench/analysis.md)")
	fs.DurationVar(&o.timeout, "timeout", 0, "stop everything after this long (default 30m, 5m with -quick)")
	fs.StringVar(&o.tickerd, "tickerd", "", "tickerd binary to use instead of building ./cmd/tickerd")
	fs.StringVar(&o.tickload, "tickload", "", "tickload binary to use instead of building ./cmd/tickload")
	fs.IntVar(&o.clients, "clients", 0, "fan-out and memory clients (default 10000, 200 with -quick)")
	fs.IntVar(&o.pushClients, "push-clients", 0, "push-vs-poll clients (default 1000, 100 with -quick)")
	fs.IntVar(&o.stormClients, "storm-clients", 0, "WebSocket clients during the login storm (default 2000, 100 with -quick)")
	fs.IntVar(&o.logins, "logins", 0, "concurrent login requests in the storm (default 32, 8 with -quick)")
	fs.DurationVar(&o.duration, "duration", 0, "every tickload measurement window (default 20s, 3s with -quick)")
	fs.StringVar(&o.steps, "steps", "", "client counts of the fan-out step search, ascending (default 2000,5000,10000,15000)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	outSet := false
	fs.Visit(func(f *flag.Flag) { outSet = outSet || f.Name == "out" })
	if o.quick && !outSet {
		o.out = filepath.Join(os.TempDir(), "tickbench-quick", "BENCHMARKS.md")
	}
	if o.timeout <= 0 {
		o.timeout = 30 * time.Minute
		if o.quick {
			o.timeout = 5 * time.Minute
		}
	}
	if only != "" {
		o.only = make(map[string]bool)
		for _, s := range strings.Split(only, ",") {
			s = strings.TrimSpace(s)
			if n, err := strconv.Atoi(s); err == nil && n >= 1 && n <= len(scenarioNames) {
				s = scenarioNames[n-1]
			}
			if !slices.Contains(scenarioNames, s) {
				return o, fmt.Errorf("-only: unknown scenario %q (want %s or 1-%d)", s, strings.Join(scenarioNames, ", "), len(scenarioNames))
			}
			o.only[s] = true
		}
	}
	if _, err := parseSteps(o.steps); err != nil {
		return o, err
	}
	return o, nil
}

// parseSteps parses "2000,5000" into ascending client counts.
func parseSteps(s string) ([]int, error) {
	if s == "" {
		return nil, nil
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || (len(out) > 0 && n <= out[len(out)-1]) {
			return nil, fmt.Errorf("-steps %q: want ascending positive client counts", s)
		}
		out = append(out, n)
	}
	return out, nil
}
