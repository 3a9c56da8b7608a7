package feed

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// A Scenario is a script of market events at simulated times: halts, gaps,
// shocks, bursts of volatility and changes of the tick rate. The market
// applies it in simulated time from the same generator as every tick, so a
// scenario and a seed reproduce the same path tick for tick. ParseScenario
// reads one from YAML or JSON; docs/SCENARIOS.md describes the format.
type Scenario struct {
	File        string // where it was read from, for messages; may be ""
	Name        string
	Description string
	Events      []ScenarioEvent // in the order of the document
}

// EventType is the kind of a scenario event.
type EventType string

// The event types.
const (
	// EventHalt stops a symbol's ticks for Duration; its quotes carry
	// "status":"halted" and trades in it are refused.
	EventHalt EventType = "halt"
	// EventGap moves a symbol's next tick by Percent on top of its step.
	EventGap EventType = "gap"
	// EventShock moves the market by Percent over Duration, each symbol in
	// proportion to its exposure to the market factor.
	EventShock EventType = "shock"
	// EventVolatility multiplies volatility by Factor for Duration.
	EventVolatility EventType = "volatility"
	// EventRate multiplies the tick rate by Factor for Duration.
	EventRate EventType = "rate"
)

// Bounds of scenario values.
const (
	MaxScenarioEvents = 10000
	MaxEventFactor    = 100.0  // volatility and rate factors are in (0, 100]
	MaxEventPercent   = 1000.0 // gaps and shocks are in (-100, 1000] percent
)

// ScenarioEvent is one event of a scenario. It applies to one symbol
// (Symbol), one sector (Sector) or, when both are empty, the whole market.
type ScenarioEvent struct {
	Type EventType

	// At is when the event starts: an offset from the market's start or,
	// when Clock is true, a time of day (UTC, simulated clock) given as the
	// offset from midnight; the event then starts at the first such time at
	// or after the market's start.
	At    time.Duration
	Clock bool

	Symbol   string
	Sector   string
	Duration time.Duration // halt, shock, volatility, rate: > 0; gap: 0
	Percent  float64       // gap, shock: the move in percent (-8 is a fall of 8%)
	Factor   float64       // volatility, rate: the multiplier

	Line int // line of the event in its document, for messages; 0 if unknown

	fieldLines map[string]int // line of each field's value, when parsed
}

// fieldLine returns the line of a field's value, or else of the event.
func (e ScenarioEvent) fieldLine(field string) int {
	if l := e.fieldLines[field]; l > 0 {
		return l
	}
	return e.Line
}

// Scope is what the event applies to: "symbol", "sector" or "market".
func (e ScenarioEvent) Scope() string {
	switch {
	case e.Symbol != "":
		return "symbol"
	case e.Sector != "":
		return "sector"
	}
	return "market"
}

// Validate reports whether e is well formed on its own: a known type, a
// non-negative start, a duration, percent and factor as its type needs, and
// at most one of Symbol and Sector.
func (e ScenarioEvent) Validate() error {
	needs := map[EventType]struct{ duration, percent, factor bool }{
		EventHalt:       {duration: true},
		EventGap:        {percent: true},
		EventShock:      {duration: true, percent: true},
		EventVolatility: {duration: true, factor: true},
		EventRate:       {duration: true, factor: true},
	}
	need, ok := needs[e.Type]
	switch {
	case !ok:
		return fmt.Errorf("type: unknown event type %q (want halt, gap, shock, volatility or rate)", e.Type)
	case e.At < 0:
		return fmt.Errorf("at: must not be negative, got %v", e.At)
	case e.Clock && e.At >= 24*time.Hour:
		return fmt.Errorf("at: a time of day must be before 24:00, got %v", e.At)
	case e.Symbol != "" && e.Sector != "":
		return errors.New("symbol: give a symbol or a sector, not both")
	case e.Duration < 0:
		return fmt.Errorf("duration: must not be negative, got %v", e.Duration)
	case need.duration && e.Duration == 0:
		return fmt.Errorf("duration: a %s needs a positive duration", e.Type)
	case !need.duration && e.Duration != 0:
		return fmt.Errorf("duration: a %s takes no duration", e.Type)
	case need.percent && !(e.Percent > -100 && e.Percent <= MaxEventPercent && e.Percent != 0):
		return fmt.Errorf("percent: must be non-zero and in (-100, %v], got %v", MaxEventPercent, e.Percent)
	case !need.percent && e.Percent != 0:
		return fmt.Errorf("percent: a %s takes no percent", e.Type)
	case need.factor && !(e.Factor > 0 && e.Factor <= MaxEventFactor):
		return fmt.Errorf("factor: must be in (0, %v], got %v", MaxEventFactor, e.Factor)
	case !need.factor && e.Factor != 0:
		return fmt.Errorf("factor: a %s takes no factor", e.Type)
	}
	return nil
}

// Check validates every event and that each names a symbol or sector of
// syms. Errors name the file, the event's line and the field.
func (s *Scenario) Check(syms []Symbol) error {
	if len(s.Events) == 0 {
		return s.errorf(0, "events: a scenario needs at least one event")
	}
	if len(s.Events) > MaxScenarioEvents {
		return s.errorf(0, "events: more than %d events", MaxScenarioEvents)
	}
	tickers := make(map[string]bool, len(syms))
	sectors := make(map[string]bool)
	for _, sym := range syms {
		tickers[sym.Ticker] = true
		sectors[sym.Sector] = true
	}
	for i, e := range s.Events {
		if err := e.Validate(); err != nil {
			field, _, _ := strings.Cut(err.Error(), ":")
			return s.errorf(e.fieldLine(field), "events[%d].%v", i, err)
		}
		if e.Symbol != "" && !tickers[e.Symbol] {
			return s.errorf(e.fieldLine("symbol"), "events[%d].symbol: unknown symbol %q", i, e.Symbol)
		}
		if e.Sector != "" && !sectors[e.Sector] {
			return s.errorf(e.fieldLine("sector"), "events[%d].sector: unknown sector %q", i, e.Sector)
		}
	}
	return nil
}

// errorf formats an error about the scenario, naming its file and line.
func (s *Scenario) errorf(line int, format string, args ...any) error {
	return scenarioErrorf(s.File, line, format, args...)
}

func scenarioErrorf(file string, line int, format string, args ...any) error {
	where := "scenario"
	if file != "" {
		where += " " + file
	}
	if line > 0 {
		where += fmt.Sprintf(": line %d", line)
	}
	return fmt.Errorf("%s: %s", where, fmt.Sprintf(format, args...))
}

// start returns the offset from the market's start at which e begins, for
// a market whose simulated clock starts at startNS (Unix nanoseconds).
func (e ScenarioEvent) start(startNS int64) time.Duration {
	if !e.Clock {
		return e.At
	}
	day := int64(24 * time.Hour)
	midnight := floorDiv(startNS, day) * day
	at := midnight + int64(e.At)
	if at < startNS {
		at += day
	}
	return time.Duration(at - startNS)
}

// logMove is the natural log of the move a percent stands for.
func logMove(percent float64) float64 { return math.Log1p(percent / 100) }
