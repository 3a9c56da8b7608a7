package feed

import (
	"slices"
	"time"
)

// ScheduledEvent is a scenario event placed on the market's simulated
// clock.
type ScheduledEvent struct {
	ScenarioEvent
	Start time.Time // simulated time the event begins
	End   time.Time // simulated time it ends; equal to Start for a gap
}

// Active reports whether the event is in force at the simulated time now.
func (e ScheduledEvent) Active(now time.Time) bool {
	return !now.Before(e.Start) && now.Before(e.End)
}

// planOf places a planned scenario's events on the clock, by start time
// (events starting together keep the document's order).
func planOf(r *scenarioRun, start time.Time) []ScheduledEvent {
	out := make([]ScheduledEvent, 0, len(r.events))
	for _, e := range r.events {
		se := ScheduledEvent{ScenarioEvent: e.ScenarioEvent, Start: start.Add(e.start), End: start.Add(e.end)}
		if e.end == never {
			se.End = time.Unix(0, 1<<63-1)
		}
		out = append(out, se)
	}
	slices.SortStableFunc(out, func(a, b ScheduledEvent) int { return a.Start.Compare(b.Start) })
	return out
}

// Speed returns the simulated seconds per real second.
func (m *Market) Speed() float64 { return m.speed }

// TicksPerSecond returns the mean ticks per symbol per simulated second
// outside scenario rate events.
func (m *Market) TicksPerSecond() float64 { return m.rate }

// Scenario returns the scenario the market applies, or nil. The caller must
// not modify it.
func (m *Market) Scenario() *Scenario { return m.scenario }

// Upcoming returns the scenario's events that are not over at the
// simulated time Now: those in force and those still to come, by start.
// A gap is over once its time has come.
func (m *Market) Upcoming() []ScheduledEvent {
	now := m.Now()
	var out []ScheduledEvent
	for _, e := range m.plan {
		if e.End.After(now) { // a gap's End is its Start
			out = append(out, e)
		}
	}
	return out
}

// Halted reports whether a scenario has halted trading in ticker now.
func (m *Market) Halted(ticker string) bool {
	i, ok := m.index[ticker]
	if !ok {
		return false
	}
	t := &m.tapes[i]
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.quote.Status == StatusHalted
}
