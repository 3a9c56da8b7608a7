package main

import "time"

// sizes are the scenario parameters: issue 5's in a full run, small ones
// with -quick.
type sizes struct {
	pool           int // symbols clients draw from (the first N of the universe)
	symbols        int // symbols per client
	pushClients    int
	pollIntervals  []time.Duration
	sweepRates     []float64 // ticks per symbol per second of the push-vs-poll sweep (scenario 7)
	fanClients     int
	fanRates       []float64 // ticks per symbol per second
	steps          []int     // step search, at fanRates[0]
	stepBoundMs    float64
	memClients     int
	wrkDuration    time.Duration
	benchCount     int
	benchTime      string // go test -benchtime; "" for the default
	stormClients   int
	stormWorkers   int
	duration       time.Duration // tickload window
	minRamp        time.Duration
	latency        []latencyLoad // issue 11's workloads (scenario 8)
	latencyRuns    int           // runs of each, a fresh server each; the table shows medians
	shockClients   []int         // the shock scenario's workloads (scenario 10), at 2 ticks/s
	shockSpeed     float64       // its servers' -speed: the shock starts 300 s / speed after start
	fanAlerts      int           // active price alerts of the fan-out's row with alerts (scenario 2)
	clusterRounds  int           // rounds of single node then core + edge (scenario 9), pushClients each
	sessionClients int           // clients of scenario 9's session ramp, one account each
}

// latencyLoad is one workload of the latency scenario: clients, each on
// sizes.symbols symbols, at a tick rate.
type latencyLoad struct {
	clients  int
	tickRate float64
}

func defaultSizes(quick bool) sizes {
	if quick {
		return sizes{
			pool: 50, symbols: 10, pushClients: 100,
			pollIntervals: []time.Duration{time.Second, 100 * time.Millisecond}, sweepRates: []float64{0.5, 0.05},
			fanClients: 200, fanRates: []float64{2, 4}, steps: []int{100, 200, 400}, stepBoundMs: 100,
			memClients: 200, wrkDuration: 2 * time.Second, benchCount: 2, benchTime: "10x",
			stormClients: 100, stormWorkers: 8, duration: 3 * time.Second, minRamp: time.Second,
			latency: []latencyLoad{{100, 2}, {200, 2}, {200, 4}}, latencyRuns: 1,
			shockClients: []int{200}, shockSpeed: 40, fanAlerts: 300,
			clusterRounds: 2, sessionClients: 30,
		}
	}
	return sizes{
		pool: 50, symbols: 10, pushClients: 1000,
		pollIntervals: []time.Duration{time.Second, 100 * time.Millisecond},
		sweepRates:    []float64{1, 0.5, 0.2, 0.1, 0.05, 0.02},
		fanClients:    10_000, fanRates: []float64{2, 4}, steps: []int{2_000, 5_000, 10_000, 15_000}, stepBoundMs: 100,
		memClients: 10_000, wrkDuration: 10 * time.Second, benchCount: 6, benchTime: "200x",
		stormClients: 2_000, stormWorkers: 32, duration: 20 * time.Second, minRamp: 3 * time.Second,
		latency: []latencyLoad{{1_000, 2}, {10_000, 2}, {10_000, 4}}, latencyRuns: 3,
		shockClients: []int{1_000, 10_000}, shockSpeed: 8, fanAlerts: 10_000,
		clusterRounds: 3, sessionClients: 300,
	}
}

// withOverrides applies the command-line overrides.
func (s sizes) withOverrides(o options) sizes {
	if o.clients > 0 {
		s.fanClients, s.memClients = o.clients, o.clients
	}
	if o.pushClients > 0 {
		s.pushClients = o.pushClients
	}
	if o.stormClients > 0 {
		s.stormClients = o.stormClients
	}
	if o.logins > 0 {
		s.stormWorkers = o.logins
	}
	if o.duration > 0 {
		s.duration = o.duration
	}
	if steps, _ := parseSteps(o.steps); steps != nil {
		s.steps = steps
	}
	return s
}

// ramp is how long n clients take to connect: about 700 a second, which
// the server and the tool absorb on two cores without skewing the window.
func (s sizes) ramp(n int) time.Duration {
	return max(s.minRamp, time.Duration(n)*time.Second/700)
}
