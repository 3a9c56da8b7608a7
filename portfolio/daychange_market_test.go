package portfolio_test

import (
	"context"
	"testing"
	"time"

	"github.com/tickerd/tickerd/feed"
	"github.com/tickerd/tickerd/portfolio"
)

// TestDayChangeAcrossMarketSessions trades against the simulated market:
// a buy just before UTC midnight changes from its price for the rest of
// that day, and from the previous close once the market's clock has
// passed midnight, where the next day's first buy starts its own count.
func TestDayChangeAcrossMarketSessions(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 3, 2, 23, 58, 0, 0, time.UTC)
	m, err := feed.NewMarket(feed.MarketConfig{
		Symbols: []feed.Symbol{{Ticker: "AAPL", Name: "Apple", Sector: "Tech", Price: 18_712, Volatility: 0.4}},
		Seed:    13, TicksPerSecond: 5, Start: start,
	})
	if err != nil {
		t.Fatal(err)
	}
	s := portfolio.MustOpenStore(t)
	a, err := s.Register(ctx, "alice", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	buy := func(qty int64) portfolio.Trade {
		t.Helper()
		tr, err := s.PlaceTrade(ctx, a.ID, portfolio.TradeRequest{Symbol: "AAPL", Side: portfolio.Buy, Quantity: qty}, m, m)
		if err != nil {
			t.Fatal(err)
		}
		return tr
	}
	dayChange := func() int64 {
		t.Helper()
		v, err := s.Valuation(ctx, a.ID, m, m)
		if err != nil {
			t.Fatal(err)
		}
		return v.DayChange
	}
	last := func() (price, prev int64) {
		price, prev, _ = m.LastPrice("AAPL")
		return price, prev
	}

	m.Advance(30 * time.Second)
	day := m.SessionDay()
	first := buy(10)
	if got := dayChange(); got != 0 {
		t.Fatalf("day change right after the buy = %d, want 0 (from its price)", got)
	}
	m.Advance(30 * time.Second) // 23:59:00, the same day
	if m.SessionDay() != day {
		t.Fatalf("session %d, want %d", m.SessionDay(), day)
	}
	price, prev := last()
	if got, want := dayChange(), 10*(price-first.Price); got != want || price == first.Price {
		t.Fatalf("same day: day change = %d, want 10*(%d-%d) = %d, from the buy's price (prev close %d)",
			got, price, first.Price, want, prev)
	}

	m.Advance(2 * time.Minute) // 00:01:00 the next day: a new session
	if m.SessionDay() != day+1 {
		t.Fatalf("session %d after midnight, want %d", m.SessionDay(), day+1)
	}
	price, prev = last()
	if got, want := dayChange(), 10*(price-prev); got != want {
		t.Fatalf("next day: day change = %d, want 10*(%d-%d) = %d, from the previous close", got, price, prev, want)
	}
	second := buy(5)
	m.Advance(30 * time.Second)
	price, _ = last()
	if got, want := dayChange(), 15*price-(10*prev+second.Amount); got != want {
		t.Fatalf("next day's buy: day change = %d, want 15*%d-(10*%d+%d) = %d", got, price, prev, second.Amount, want)
	}
}
