package feed

import (
	"math"
	"path/filepath"
	"testing"
	"time"
)

// exampleMarket loads a shipped scenario from data/scenarios and returns a
// market over the shipped universe running it.
func exampleMarket(t *testing.T, file string) *Market {
	t.Helper()
	syms := mustUniverse(t)
	sc, err := LoadScenario(filepath.Join("..", "data", "scenarios", file), syms)
	if err != nil {
		t.Fatal(err)
	}
	if sc.Name == "" || sc.Description == "" {
		t.Errorf("%s: name %q, description %q", file, sc.Name, sc.Description)
	}
	return mustMarket(t, MarketConfig{Symbols: syms, Seed: 1, Scenario: sc})
}

// advanceTo advances m to the offset at from its start.
func advanceTo(m *Market, at time.Duration) []Quote {
	return m.Advance(at - m.Now().Sub(marketTestStart))
}

// meanPrice is the mean of every symbol's price relative to its starting
// price.
func meanPrice(m *Market) float64 {
	var sum float64
	qs := m.AllQuotes()
	for _, q := range qs {
		s, _ := m.Lookup(q.Symbol)
		sum += float64(q.Price) / float64(s.Price)
	}
	return sum / float64(len(qs))
}

func TestExampleFlashCrash(t *testing.T) {
	m := exampleMarket(t, "flash-crash.yaml")
	advanceTo(m, 5*time.Minute)
	calm := meanPrice(m)
	advanceTo(m, 8*time.Minute+time.Second)
	bottom := meanPrice(m)
	if bottom > calm*0.95 {
		t.Errorf("mean price %.3f at the bottom, %.3f before the crash", bottom, calm)
	}
	if !m.Halted("AAPL") || !m.Halted("XOM") {
		t.Error("the market is not halted at the bottom")
	}
	advanceTo(m, 30*time.Minute)
	if rec := meanPrice(m); rec < bottom*1.04 {
		t.Errorf("mean price %.3f after the recovery, %.3f at the bottom", rec, bottom)
	}
	if len(m.Upcoming()) != 0 {
		t.Errorf("events left after the scenario: %+v", m.Upcoming())
	}
}

func TestExampleHaltedStock(t *testing.T) {
	m := exampleMarket(t, "halted-stock.yaml")
	advanceTo(m, 3*time.Minute-time.Nanosecond)
	before, _ := m.Quote("NVDA")
	var during []Quote
	for _, q := range advanceTo(m, 13*time.Minute-time.Nanosecond) {
		if q.Symbol == "NVDA" {
			during = append(during, q)
		}
	}
	if len(during) != 1 || during[0].Status != StatusHalted {
		t.Fatalf("NVDA during its halt: %+v", during)
	}
	var after []Quote
	for _, q := range advanceTo(m, 14*time.Minute) {
		if q.Symbol == "NVDA" {
			after = append(after, q)
		}
	}
	if len(after) < 2 || after[0].Status != StatusOpen {
		t.Fatalf("NVDA after its halt: %+v", after)
	}
	// The gap (-12%) dominates ten minutes of an ordinary walk.
	if r := float64(after[1].Price) / float64(before.Price); r > 0.95 || r < 0.75 {
		t.Errorf("NVDA reopened at %.3f of its price before the halt", r)
	}
}

func TestExampleQuietThenBusy(t *testing.T) {
	m := exampleMarket(t, "quiet-then-busy.json")
	quiet := len(advanceTo(m, 30*time.Minute))
	busy := len(advanceTo(m, 60*time.Minute))
	normal := len(advanceTo(m, 90*time.Minute))
	ratio := func(a, b int) float64 { return float64(a) / float64(b) }
	if r := ratio(busy, quiet); math.Abs(r-25) > 3 {
		t.Errorf("busy/quiet ticks = %d/%d = %.1f, want about 25", busy, quiet, r)
	}
	if r := ratio(normal, quiet); math.Abs(r-5) > 1 {
		t.Errorf("normal/quiet ticks = %d/%d = %.1f, want about 5", normal, quiet, r)
	}
}
