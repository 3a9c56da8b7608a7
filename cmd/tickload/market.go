package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// marketState is the part of GET /api/v1/market that tickload reads.
type marketState struct {
	Clock          time.Time      `json:"clock"`            // simulated
	Speed          float64        `json:"speed"`            // simulated seconds per real second
	TicksPerSecond float64        `json:"ticks_per_second"` // per symbol per simulated second, outside rate events
	Scenario       *marketRunning `json:"scenario"`
}

type marketRunning struct {
	Name   string        `json:"name"`
	Events []MarketEvent `json:"events"` // in force or still to come
}

// MarketEvent is a scenario event as GET /api/v1/market describes it;
// times are on the simulated clock.
type MarketEvent struct {
	Type      string    `json:"type"`
	Scope     string    `json:"scope"` // symbol, sector or market
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Active    bool      `json:"active"`
	Percent   *float64  `json:"percent,omitempty"`
	Factor    *float64  `json:"factor,omitempty"`
	DurationS float64   `json:"duration_s"`
}

// ScenarioRun is the scenario event a run measured: the window opened once
// the event was in force.
type ScenarioRun struct {
	Name    string      `json:"name"`
	Event   MarketEvent `json:"event"`
	WaitedS float64     `json:"waited_s"` // real seconds from the end of the ramp to the window
	// RateEvents: a rate event overlapped the window, so the expected-ticks
	// figure (which assumes a constant rate) is left out.
	RateEvents bool `json:"rate_events"`
	// Inside: the window ended before the event did (on the simulated
	// clock), so every figure was measured during it.
	Inside bool `json:"inside"`
}

// fetchMarket reads GET /api/v1/market.
func (rc *restClient) fetchMarket(ctx context.Context) (marketState, error) {
	var m marketState
	status, body, err := rc.do(ctx, 0, http.MethodGet, "/api/v1/market", nil)
	if err != nil {
		return m, err
	}
	if status != http.StatusOK {
		return m, fmt.Errorf("GET /api/v1/market: status %d: %s", status, bytes.TrimSpace(body))
	}
	if err := json.Unmarshal(body, &m); err != nil {
		return m, fmt.Errorf("GET /api/v1/market: %w", err)
	}
	if m.Speed <= 0 {
		return m, fmt.Errorf("GET /api/v1/market: speed %v", m.Speed)
	}
	return m, nil
}

// realTickRate is the market's ticks per symbol per real second outside
// rate events.
func (m marketState) realTickRate() float64 { return m.TicksPerSecond * m.Speed }

// marketEvent returns the first market-wide event of type typ in m's
// scenario that is in force or still to come.
func (m marketState) marketEvent(typ string) (MarketEvent, bool) {
	if m.Scenario == nil {
		return MarketEvent{}, false
	}
	for _, e := range m.Scenario.Events {
		if e.Type == typ && e.Scope == "market" {
			return e, true
		}
	}
	return MarketEvent{}, false
}

// rateDuring reports whether a rate event of any scope overlaps the
// simulated interval [from, to).
func (m marketState) rateDuring(from, to time.Time) bool {
	if m.Scenario == nil {
		return false
	}
	for _, e := range m.Scenario.Events {
		if e.Type == "rate" && e.Start.Before(to) && e.End.After(from) {
			return true
		}
	}
	return false
}

// untilEvent waits until a market-wide event of type typ is in force and
// returns it with the market as read then. It fails at once when the
// server runs no scenario or no such event remains, and when the event
// would start more than maxWait (real time) from now.
func (rc *restClient) untilEvent(ctx context.Context, typ string, maxWait time.Duration) (marketState, MarketEvent, error) {
	deadline := time.Now().Add(maxWait)
	for {
		m, err := rc.fetchMarket(ctx)
		if err != nil {
			return m, MarketEvent{}, err
		}
		if m.Scenario == nil {
			return m, MarketEvent{}, fmt.Errorf("-scenario-event %s: the server runs no scenario", typ)
		}
		e, ok := m.marketEvent(typ)
		if !ok {
			return m, e, fmt.Errorf("-scenario-event %s: scenario %q has no market-wide %s event in force or to come", typ, m.Scenario.Name, typ)
		}
		if e.Active {
			return m, e, nil
		}
		wait := time.Duration(float64(e.Start.Sub(m.Clock)) / m.Speed)
		if time.Now().Add(wait).After(deadline) {
			return m, e, fmt.Errorf("-scenario-event %s: scenario %q's next one starts in %s, beyond -scenario-wait %s",
				typ, m.Scenario.Name, wait.Round(time.Millisecond), maxWait)
		}
		// Sleep most of the way, then poll closely: the clocks agree only to
		// a request's round trip.
		wait = max(wait-50*time.Millisecond, 10*time.Millisecond)
		select {
		case <-ctx.Done():
			return m, e, ctx.Err()
		case <-time.After(wait):
		}
	}
}
