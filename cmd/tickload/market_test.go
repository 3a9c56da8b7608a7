package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestRunScenarioEvent: with -scenario-event the window opens only once the
// market-wide event is in force, the report names the scenario and the
// event, the tick rate comes from GET /api/v1/market, and a rate event over
// the window leaves the expected-ticks figure out.
func TestRunScenarioEvent(t *testing.T) {
	noLeaks(t)
	f := startFake(t, 20*time.Millisecond, 0)
	now := time.Now()
	shockAt := now.Add(700 * time.Millisecond)
	f.setScenario("flash-crash", 10,
		fakeMarketEvent{typ: "shock", scope: "symbol", start: now, end: now.Add(time.Hour)}, // not market-wide
		fakeMarketEvent{typ: "shock", scope: "market", start: shockAt, end: shockAt.Add(time.Hour)},
		fakeMarketEvent{typ: "rate", scope: "market", start: shockAt, end: shockAt.Add(time.Hour)},
	)
	cfg := fakeConfig(f.url, modeWS, 4)
	cfg.ScenarioEvent = "shock"
	cfg.ScenarioWait = 5 * time.Second
	rep, err := run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	sc := rep.Scenario
	if sc == nil || sc.Name != "flash-crash" || sc.Event.Type != "shock" || sc.Event.Scope != "market" || !sc.Event.Active {
		t.Fatalf("scenario = %+v", sc)
	}
	if sc.WaitedS <= 0 {
		t.Fatalf("waited %v s", sc.WaitedS)
	}
	if !sc.RateEvents || !sc.Inside {
		t.Fatalf("the rate event over the window was not seen")
	}
	// 50 ticks per real second: 5 per simulated second at speed 10.
	if rep.Config.TickRate != 50 || rep.TickRateFrom != "GET /api/v1/market" {
		t.Fatalf("tick rate %v from %q", rep.Config.TickRate, rep.TickRateFrom)
	}
	d := rep.Delivery
	if d == nil || d.ExpectedNA == "" || d.Expected != 0 || d.DeliveredPct != 0 || d.Delivered == 0 || d.DeliveredSeqPct != 100 {
		t.Fatalf("delivery = %+v", d)
	}
	var sb strings.Builder
	if err := rep.WriteTable(&sb); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"flash-crash: market-wide shock -9%", "expected n/a (a rate event overlapped the window)"} {
		if !strings.Contains(sb.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, sb.String())
		}
	}
}

// TestRunTickRateFromMarket: without -tick-rate and without a scenario,
// expected ticks use the market's rate and say so.
func TestRunTickRateFromMarket(t *testing.T) {
	noLeaks(t)
	f := startFake(t, 20*time.Millisecond, 0)
	rep, err := run(context.Background(), fakeConfig(f.url, modeSSE, 2))
	if err != nil {
		t.Fatal(err)
	}
	d := rep.Delivery
	if rep.Scenario != nil || d == nil || d.TickRate != 50 || d.ExpectedNA != "" || d.Expected == 0 {
		t.Fatalf("scenario %+v, delivery %+v", rep.Scenario, d)
	}
	var sb strings.Builder
	if err := rep.WriteTable(&sb); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sb.String(), "assumes a constant 50 ticks/symbol/s from GET /api/v1/market") {
		t.Errorf("table:\n%s", sb.String())
	}
}

// TestRunScenarioEventErrors: no scenario, no such event, or one too far
// off is an error before the window.
func TestRunScenarioEventErrors(t *testing.T) {
	noLeaks(t)
	for _, tt := range []struct {
		name, scenario string
		events         []fakeMarketEvent
		want           string
	}{
		{name: "no scenario", want: "runs no scenario"},
		{name: "no such event", scenario: "calm", want: `"calm" has no market-wide shock`,
			events: []fakeMarketEvent{{typ: "halt", scope: "market", start: time.Now(), end: time.Now().Add(time.Hour)}}},
		{name: "too far", scenario: "late", want: "beyond -scenario-wait",
			events: []fakeMarketEvent{{typ: "shock", scope: "market", start: time.Now().Add(time.Hour), end: time.Now().Add(2 * time.Hour)}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := startFake(t, 20*time.Millisecond, 0)
			f.setScenario(tt.scenario, 1, tt.events...)
			cfg := fakeConfig(f.url, modeWS, 1)
			cfg.ScenarioEvent, cfg.ScenarioWait = "shock", time.Second
			_, err := run(context.Background(), cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestRunScenarioEventOutlasted: a window longer than the event is
// reported as such, and without a rate event expected ticks stay.
func TestRunScenarioEventOutlasted(t *testing.T) {
	noLeaks(t)
	f := startFake(t, 20*time.Millisecond, 0)
	now := time.Now()
	f.setScenario("blip", 1, fakeMarketEvent{typ: "shock", scope: "market", start: now.Add(400 * time.Millisecond), end: now.Add(600 * time.Millisecond)})
	cfg := fakeConfig(f.url, modeWS, 2)
	cfg.ScenarioEvent, cfg.ScenarioWait = "shock", 5*time.Second
	rep, err := run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if sc := rep.Scenario; sc == nil || sc.Inside || sc.RateEvents {
		t.Fatalf("scenario = %+v", sc)
	}
	if d := rep.Delivery; d == nil || d.ExpectedNA != "" || d.Expected == 0 {
		t.Fatalf("delivery = %+v", d)
	}
	var sb strings.Builder
	if err := rep.WriteTable(&sb); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sb.String(), "the window outlasted it") {
		t.Errorf("table:\n%s", sb.String())
	}
}
