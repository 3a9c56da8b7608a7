package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"
)

// Results is everything one benchmark run measured, written as
// docs/bench/results.json and rendered into docs/BENCHMARKS.md. Scenarios
// that were not run are nil.
type Results struct {
	Generated time.Time `json:"generated"`
	Quick     bool      `json:"quick"` // small sizes: a check of the harness, not the benchmark
	Machine   Machine   `json:"machine"`
	Build     []string  `json:"build"`    // how the binaries were built
	Universe  string    `json:"universe"` // how clients' symbols were restricted to the pool
	PushPoll  *PushPoll `json:"push_poll,omitempty"`
	// PushPollRates is scenario 7: push versus 1 s polling at each of
	// sizes.sweepRates, from busy prices to quiet ones; informational.
	PushPollRates []*PushPoll `json:"push_poll_rates,omitempty"`
	Fanout        *Fanout     `json:"fanout,omitempty"`
	Memory        *Memory     `json:"memory,omitempty"`
	REST          *REST       `json:"rest,omitempty"`
	GoBench       *GoBench    `json:"go_bench,omitempty"`
	Storm         *Storm      `json:"storm,omitempty"`
	Latency       *Latency    `json:"latency,omitempty"`
	Cluster       *Cluster    `json:"cluster,omitempty"`
	Shock         *Shock      `json:"shock,omitempty"`
	// Reruns are scenarios run again alone since, newest last; Generated
	// and Machine stay those of the run that measured the others.
	Reruns []Rerun `json:"reruns,omitempty"`
}

// Run is one server plus one tickload run against it.
type Run struct {
	Name      string      `json:"name"`
	Mode      string      `json:"mode"`
	Clients   int         `json:"clients"`
	Symbols   int         `json:"symbols"`
	Interval  string      `json:"interval,omitempty"` // poll mode
	Server    string      `json:"server_cmd"`
	Load      string      `json:"load_cmd"`
	File      string      `json:"file,omitempty"` // tickload's raw JSON, beside results.json
	TickRate  float64     `json:"tick_rate"`
	Offered   float64     `json:"offered_per_s,omitempty"` // clients x symbols x tick rate (push only)
	Report    *LoadReport `json:"report,omitempty"`
	Err       string      `json:"error,omitempty"`
	ServerLog string      `json:"server_log,omitempty"` // warnings and errors the server logged
}

// PushPoll is scenario 1: the same clients and symbols pushed over
// WebSocket and polled over REST at each interval.
type PushPoll struct {
	Ran      time.Time `json:"ran"`
	TickRate float64   `json:"tick_rate"` // ticks per symbol per second; 0 in old results means 2
	Push     Run       `json:"push"`
	Polls    []Run     `json:"polls"`
}

// Fanout is scenario 2: WebSocket fan-out at each tick rate, then a step
// search for the largest client count whose p99 stays under the bound.
type Fanout struct {
	Ran        time.Time `json:"ran"`
	Rates      []Run     `json:"rates"`
	StepRate   float64   `json:"step_tick_rate"`
	StepP99Ms  float64   `json:"step_p99_bound_ms"`
	Steps      []Step    `json:"steps"`
	MaxClients int       `json:"max_clients"` // largest passing step; 0 if none passed
	StepNote   string    `json:"step_note"`   // how the search ended
	// WithAlerts is the first rate's run again on a server holding
	// AlertCount active price alerts that never fire: what evaluating every
	// tick against them costs the fan-out.
	WithAlerts *Run `json:"with_alerts,omitempty"`
	AlertCount int  `json:"alert_count,omitempty"`
}

// Step is one client count of the step search.
type Step struct {
	Clients int    `json:"clients"`
	Pass    bool   `json:"pass"`
	Why     string `json:"why"`
	Run     Run    `json:"run"`
}

// Memory is scenario 3: idle (unsubscribed) WebSocket connections.
type Memory struct {
	Ran time.Time `json:"ran"`
	Run Run       `json:"run"`
}

// REST is scenario 4: wrk against GET /api/v1/portfolio.
type REST struct {
	Ran        time.Time `json:"ran"`
	Server     string    `json:"server_cmd"`
	Setup      string    `json:"setup"`
	Command    string    `json:"command"`
	File       string    `json:"file,omitempty"` // wrk's output
	Positions  int       `json:"positions"`
	Requests   int64     `json:"requests"`
	ReqPerS    float64   `json:"req_per_s"`
	P50Ms      float64   `json:"p50_ms"`
	P90Ms      float64   `json:"p90_ms"`
	P99Ms      float64   `json:"p99_ms"`
	Non2xx     int64     `json:"non_2xx"`
	SockErrors string    `json:"socket_errors,omitempty"`
	CPUMsPer1k float64   `json:"cpu_ms_per_1k_requests"`
	Err        string    `json:"error,omitempty"`
}

// GoBench is scenario 5: the feed package's Go benchmarks and benchstat.
type GoBench struct {
	Ran       time.Time `json:"ran"`
	Command   string    `json:"command"`
	Benchstat string    `json:"benchstat_cmd"`
	File      string    `json:"file"`      // raw go test output
	StatFile  string    `json:"stat_file"` // benchstat output
	Summary   string    `json:"summary"`   // benchstat's table
	Err       string    `json:"error,omitempty"`
}

// Storm is scenario 6: WebSocket quote latency with and without concurrent
// logins hammering the password hash.
type Storm struct {
	Ran      time.Time  `json:"ran"`
	Baseline Run        `json:"baseline"`
	Storm    Run        `json:"storm"`
	Logins   LoginStats `json:"logins"`
}

// Latency is scenario 8: issue 11's workloads, each run several times on
// a fresh server, judged by the medians of their runs.
type Latency struct {
	Ran       time.Time         `json:"ran"`
	Workloads []LatencyWorkload `json:"workloads"`
}

// LatencyWorkload is one workload of the latency scenario and its runs.
type LatencyWorkload struct {
	Clients  int     `json:"clients"`
	Symbols  int     `json:"symbols"`
	TickRate float64 `json:"tick_rate"`
	Runs     []Run   `json:"runs"`
}

// LoginStats are the storm's login requests during the tickload window.
type LoginStats struct {
	Workers  int              `json:"workers"`
	Accounts int              `json:"accounts"`
	Total    int64            `json:"total"`
	OK       int64            `json:"ok"`
	ByStatus map[string]int64 `json:"by_status"` // "200", "429", "error", ...
	PerS     float64          `json:"per_s"`
	P50Ms    float64          `json:"p50_ms"`
	P99Ms    float64          `json:"p99_ms"`
	MaxMs    float64          `json:"max_ms"`
}

// writeResults writes r, indented, to path.
func writeResults(path string, r *Results) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode results: %w", err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	return nil
}

// readResults reads a results.json written by writeResults.
func readResults(path string) (*Results, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read results: %w", err)
	}
	var r Results
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("decode %s: %w", path, err)
	}
	if c, ok := strings.CutSuffix(r.Machine.Commit, legacyDirty); ok {
		r.Machine.Commit, r.Machine.Dirty = c, true
	}
	return &r, nil
}
