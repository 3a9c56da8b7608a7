package feed

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

// mustScenario parses and checks a scenario against the shipped universe.
func mustScenario(tb testing.TB, doc string) *Scenario {
	tb.Helper()
	sc, err := ParseScenario("test.yaml", []byte(doc))
	if err != nil {
		tb.Fatal(err)
	}
	if err := sc.Check(mustUniverse(tb)); err != nil {
		tb.Fatal(err)
	}
	return sc
}

func TestParseScenario(t *testing.T) {
	sc := mustScenario(t, `
name: mixed
description: one of each
events:
  - {at: 1m, type: halt, symbol: aapl, duration: 30s}
  - {at: "14:30", type: gap, sector: Energy, percent: -5}
  - {at: 2m, type: shock, percent: 3.5, duration: 1m}
  - {at: +90s, type: volatility, factor: 2, duration: 1h}
  - {at: "09:30:15", type: rate, symbol: KO, factor: 0.5, duration: 5m}
`)
	want := []ScenarioEvent{
		{Type: EventHalt, At: time.Minute, Symbol: "AAPL", Duration: 30 * time.Second, Line: 5},
		{Type: EventGap, At: 14*time.Hour + 30*time.Minute, Clock: true, Sector: "Energy", Percent: -5, Line: 6},
		{Type: EventShock, At: 2 * time.Minute, Percent: 3.5, Duration: time.Minute, Line: 7},
		{Type: EventVolatility, At: 90 * time.Second, Factor: 2, Duration: time.Hour, Line: 8},
		{Type: EventRate, At: 9*time.Hour + 30*time.Minute + 15*time.Second, Clock: true, Symbol: "KO",
			Factor: 0.5, Duration: 5 * time.Minute, Line: 9},
	}
	if sc.Name != "mixed" || sc.Description != "one of each" || len(sc.Events) != len(want) {
		t.Fatalf("got %+v", sc)
	}
	for i, w := range want {
		got := sc.Events[i]
		got.fieldLines, w.fieldLines = nil, nil
		if !reflect.DeepEqual(got, w) {
			t.Errorf("event %d:\n got %+v\nwant %+v", i, got, w)
		}
	}
	if got := []string{sc.Events[0].Scope(), sc.Events[1].Scope(), sc.Events[2].Scope()}; strings.Join(got, ",") != "symbol,sector,market" {
		t.Errorf("scopes %v", got)
	}

	// JSON is YAML; a document without a name is named after its file.
	js, err := ParseScenario("dir/calm.json", []byte(`{"events":[{"at":"0s","type":"rate","factor":0.5,"duration":"1m"}]}`))
	if err != nil || js.Name != "calm" || len(js.Events) != 1 {
		t.Fatalf("JSON: %+v, %v", js, err)
	}
}

// TestScenarioErrors: every way a document can be wrong is an error naming
// the file, the line and the field.
func TestScenarioErrors(t *testing.T) {
	tests := []struct{ name, doc, want string }{
		{"bad YAML", "name: x\nevents:\n  - at: 1m\n    type: halt: now\n", "scenario bad.yaml: bad YAML: line 4: mapping values"},
		{"not a mapping", "- 1\n", "line 1: want a mapping"},
		{"no events", "name: x\n", "line 1: events: missing"},
		{"empty events", "events: []\n", "events: a scenario needs at least one event"},
		{"unknown top field", "name: x\nevents: []\nspeed: 2\n", "line 3: speed: unknown field"},
		{"unknown type", "events:\n  - at: 1m\n    type: crash\n    duration: 1m\n",
			`line 3: events[0].type: unknown event type "crash"`},
		{"missing type", "events:\n  - at: 1m\n", "line 2: events[0].type: missing"},
		{"missing at", "events:\n  - type: gap\n    percent: 3\n", "line 2: events[0].at: missing"},
		{"unknown event field", "events:\n  - at: 1m\n    type: gap\n    precent: 3\n",
			"line 4: events[0].precent: unknown field"},
		{"bad at", "events:\n  - at: soon\n    type: gap\n    percent: 3\n", `line 2: events[0].at: want an offset`},
		{"negative at", "events:\n  - at: -1m\n    type: gap\n    percent: 3\n", "line 2: events[0].at: must not be negative"},
		{"negative duration", "events:\n  - at: 1m\n    type: halt\n    duration: -5m\n",
			"line 4: events[0].duration: must not be negative"},
		{"zero duration", "events:\n  - {at: 1m, type: halt, duration: 0s}\n", "line 2: events[0].duration: a halt needs a positive duration"},
		{"gap with duration", "events:\n  - {at: 1m, type: gap, percent: 2, duration: 1m}\n", "events[0].duration: a gap takes no duration"},
		{"percent range", "events:\n  - at: 1m\n    type: gap\n    percent: -100\n", "line 4: events[0].percent: must be non-zero"},
		{"percent not a number", "events:\n  - {at: 1m, type: gap, percent: lots}\n", `events[0].percent: want a number, got "lots"`},
		{"factor missing", "events:\n  - {at: 1m, type: rate, duration: 1m}\n", "events[0].factor: must be in (0, 100]"},
		{"symbol and sector", "events:\n  - {at: 1m, type: halt, duration: 1m, symbol: KO, sector: Energy}\n",
			"events[0].symbol: give a symbol or a sector, not both"},
		{"list value", "events:\n  - at: 1m\n    type: halt\n    symbol: [KO]\n", "line 4: events[0].symbol: want a single value"},
		{"unknown symbol", "events:\n  - at: 1m\n    type: halt\n    symbol: ZZZZ\n    duration: 1m\n",
			`line 4: events[0].symbol: unknown symbol "ZZZZ"`},
		{"unknown sector", "events:\n  - at: 1m\n    type: halt\n    duration: 1m\n    sector: Crypto\n",
			`line 5: events[0].sector: unknown sector "Crypto"`},
	}
	syms := mustUniverse(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc, err := ParseScenario("bad.yaml", []byte(tt.doc))
			if err == nil {
				err = sc.Check(syms)
			}
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.HasPrefix(err.Error(), "scenario bad.yaml: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

// replayScenario is a scenario with every event type, overlapping.
const replayScenario = `
name: replay
events:
  - {at: 10s, type: halt, symbol: AAPL, duration: 40s}
  - {at: 20s, type: halt, sector: Energy, duration: 15s}
  - {at: 50s, type: gap, symbol: AAPL, percent: 7}
  - {at: 30s, type: shock, percent: -6, duration: 30s}
  - {at: 25s, type: volatility, sector: Technology, factor: 4, duration: 40s}
  - {at: 40s, type: rate, factor: 3, duration: 20s}
  - {at: 55s, type: halt, duration: 5s}
`

// TestScenarioReplay: a scenario and a seed reproduce the same path, tick
// for tick, however the simulated time is cut into steps.
func TestScenarioReplay(t *testing.T) {
	run := func(step time.Duration) []Quote {
		m := mustMarket(t, MarketConfig{Seed: 42, TicksPerSecond: 5, Scenario: mustScenario(t, replayScenario)})
		var out []Quote
		for elapsed := time.Duration(0); elapsed < 90*time.Second; elapsed += step {
			out = append(out, m.Advance(step)...)
		}
		return out
	}
	a, b, c := run(100*time.Millisecond), run(100*time.Millisecond), run(3*time.Second)
	if len(a) < 1000 {
		t.Fatalf("only %d quotes", len(a))
	}
	for name, other := range map[string][]Quote{"same steps": b, "other steps": c} {
		if len(other) != len(a) {
			t.Fatalf("%s: %d quotes, then %d", name, len(a), len(other))
		}
		for i := range a {
			x, y := a[i], other[i]
			if x.Symbol != y.Symbol || x.Seq != y.Seq || x.Price != y.Price || x.Volume != y.Volume || x.Status != y.Status {
				t.Fatalf("%s: quote %d differs:\n%+v\n%+v", name, i, x, y)
			}
		}
	}

	// A different seed gives a different path under the same scenario.
	m := mustMarket(t, MarketConfig{Seed: 43, TicksPerSecond: 5, Scenario: mustScenario(t, replayScenario)})
	d := m.Advance(90 * time.Second)
	same := len(d) == len(a)
	for i := 0; same && i < len(d); i++ {
		same = d[i].Price == a[i].Price
	}
	if same {
		t.Error("seed 43 reproduced seed 42's path")
	}
}

// TestScenarioHalt: a halt publishes a status quote at once, stops the
// symbol's ticks, and its end publishes "open" before ticks resume; seq
// stays contiguous throughout.
func TestScenarioHalt(t *testing.T) {
	sc := mustScenario(t, "events:\n  - {at: 10s, type: halt, symbol: AAPL, duration: 20s}\n"+
		"  - {at: 15s, type: halt, symbol: AAPL, duration: 5s}\n")
	m := mustMarket(t, MarketConfig{Seed: 7, TicksPerSecond: 10, Scenario: sc})
	before := aaplQuotes(m.Advance(10*time.Second - 1))
	if len(before) == 0 || m.Halted("AAPL") {
		t.Fatalf("%d quotes before the halt, halted %v", len(before), m.Halted("AAPL"))
	}
	last := before[len(before)-1]

	during := aaplQuotes(m.Advance(20 * time.Second)) // to 30s - 1ns: the overlapping halt changes nothing
	if len(during) != 1 || during[0].Status != StatusHalted || during[0].Seq != last.Seq+1 ||
		during[0].Price != last.Price || during[0].Volume != last.Volume {
		t.Fatalf("during the halt: %+v", during)
	}
	if !m.Halted("AAPL") || m.Halted("MSFT") {
		t.Fatal("Halted is wrong during the halt")
	}
	if q, _ := m.Quote("AAPL"); q.Status != StatusHalted {
		t.Fatalf("Quote during the halt: %+v", q)
	}

	after := aaplQuotes(m.Advance(10 * time.Second))
	if len(after) < 2 || after[0].Status != StatusOpen || after[0].Seq != last.Seq+2 || after[0].Price != last.Price {
		t.Fatalf("after the halt: %+v", after)
	}
	for i, q := range after[1:] {
		if q.Status != StatusTrading || q.Seq != after[i].Seq+1 {
			t.Fatalf("tick %d after the reopening: %+v", i+1, q)
		}
	}
	if m.Halted("AAPL") {
		t.Fatal("still halted")
	}
}

func aaplQuotes(qs []Quote) []Quote {
	var out []Quote
	for _, q := range qs {
		if q.Symbol == "AAPL" {
			out = append(out, q)
		}
	}
	return out
}

// TestScenarioGapShockRate checks the size of what each event does.
func TestScenarioGapShockRate(t *testing.T) {
	sc := mustScenario(t, `
events:
  - {at: 10s, type: gap, symbol: KO, percent: -20}
  - {at: 20s, type: shock, percent: -10, duration: 10s}
  - {at: 40s, type: rate, sector: Energy, factor: 10, duration: 10s}
  - {at: 60s, type: volatility, symbol: MSFT, factor: 20, duration: 60s}
`)
	m := mustMarket(t, MarketConfig{Seed: 3, TicksPerSecond: 4, Scenario: sc})
	m.Advance(10*time.Second - 1)
	ko, _ := m.Quote("KO")
	var next Quote
	for next.Symbol == "" {
		for _, q := range m.Advance(100 * time.Millisecond) {
			if q.Symbol == "KO" && next.Symbol == "" {
				next = q
			}
		}
	}
	if r := float64(next.Price) / float64(ko.Price); math.Abs(r-0.8) > 0.01 {
		t.Errorf("KO after a -20%% gap: %d → %d (×%.3f)", ko.Price, next.Price, r)
	}

	m.Advance(20*time.Second - m.Now().Sub(marketTestStart))
	before := m.AllQuotes()
	m.Advance(11 * time.Second)
	var sum float64
	after := m.AllQuotes()
	for i := range before {
		sum += math.Log(float64(after[i].Price) / float64(before[i].Price))
	}
	if mean := sum / float64(len(before)); math.Abs(mean-math.Log(0.9)) > 0.015 {
		t.Errorf("mean log move over a -10%% shock: %.4f, want about %.4f", mean, math.Log(0.9))
	}

	count := func(d time.Duration) (energy, other int) {
		for _, q := range m.Advance(d) {
			if s, _ := m.Lookup(q.Symbol); s.Sector == "Energy" {
				energy++
			} else {
				other++
			}
		}
		return
	}
	m.Advance(40*time.Second - m.Now().Sub(marketTestStart))
	fast, _ := count(10 * time.Second)
	slow, _ := count(10 * time.Second)
	if fast < 6*slow {
		t.Errorf("Energy ticks: %d with the rate ×10, %d after", fast, slow)
	}

	m.Advance(60*time.Second - m.Now().Sub(marketTestStart))
	wild := logMoves(m.Advance(60*time.Second), "MSFT")
	calm := logMoves(m.Advance(60*time.Second), "MSFT")
	if wild < 5*calm {
		t.Errorf("MSFT mean squared log move: %.3g with volatility ×20, %.3g after", wild, calm)
	}
}

// logMoves is the mean squared log move between a symbol's ticks.
func logMoves(qs []Quote, sym string) float64 {
	var prev, n, sum float64
	for _, q := range qs {
		if q.Symbol != sym {
			continue
		}
		if p := float64(q.Price); prev > 0 {
			r := math.Log(p / prev)
			sum += r * r
			n++
		}
		prev = float64(q.Price)
	}
	return sum / max(n, 1)
}

// TestScenarioClockTime: a time of day is the first such time at or after
// the market's start.
func TestScenarioClockTime(t *testing.T) {
	sc := mustScenario(t, "events:\n  - {at: \"10:00\", type: halt, duration: 1m}\n  - {at: \"08:00\", type: gap, percent: 1}\n")
	start := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	m, err := NewMarket(MarketConfig{Symbols: mustUniverse(t), Seed: 1, Start: start, Scenario: sc})
	if err != nil {
		t.Fatal(err)
	}
	up := m.Upcoming()
	if len(up) != 2 || !up[0].Start.Equal(start.Add(30*time.Minute)) || !up[0].End.Equal(start.Add(31*time.Minute)) ||
		!up[1].Start.Equal(start.Add(22*time.Hour+30*time.Minute)) {
		t.Fatalf("Upcoming: %+v", up)
	}
	m.Advance(30*time.Minute + time.Second)
	up = m.Upcoming()
	if len(up) != 2 || !up[0].Active(m.Now()) || up[1].Active(m.Now()) || !m.Halted("AAPL") {
		t.Fatalf("Upcoming during the halt: %+v", up)
	}
	m.Advance(time.Minute)
	if up = m.Upcoming(); len(up) != 1 || up[0].Type != EventGap {
		t.Fatalf("Upcoming after the halt: %+v", up)
	}
}

// TestMarketRejectsForeignScenario: NewMarket checks the scenario against
// its own universe.
func TestMarketRejectsForeignScenario(t *testing.T) {
	sc, err := ParseScenario("x.yaml", []byte("events:\n  - {at: 1s, type: halt, symbol: KO, duration: 1s}\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = NewMarket(MarketConfig{Symbols: mustUniverse(t)[:3], Seed: 1, Scenario: sc})
	if err == nil || !strings.Contains(err.Error(), `scenario x.yaml: line 2: events[0].symbol: unknown symbol "KO"`) {
		t.Fatalf("err = %v", err)
	}
}

// TestNoScenarioNoStatus: without a scenario no quote carries a status, so
// the wire of such a server is what it was before scenarios existed.
func TestNoScenarioNoStatus(t *testing.T) {
	m := mustMarket(t, MarketConfig{Seed: 9, TicksPerSecond: 5})
	qs := m.Advance(time.Minute)
	if len(qs) == 0 || m.Scenario() != nil || m.Upcoming() != nil {
		t.Fatalf("%d quotes, scenario %v, upcoming %v", len(qs), m.Scenario(), m.Upcoming())
	}
	for _, q := range qs {
		if q.Status != StatusTrading || strings.Contains(string(q.AppendJSON(nil, true)), "status") {
			t.Fatalf("quote with a status: %+v", q)
		}
	}
}
