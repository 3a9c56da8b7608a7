package feed

import (
	"testing"
	"time"
)

func TestCandleRingAddAndRange(t *testing.T) {
	const m0 = 29_000_000 * minuteMS // some minute boundary
	var r candleRing
	if got := r.appendRange(nil, 0, 1<<62); len(got) != 0 {
		t.Fatalf("empty ring returned %v", got)
	}
	trades := []struct{ at, price, volume int64 }{
		{m0 + 1000, 100, 1},
		{m0 + 2000, 105, 2},
		{m0 + 59_999, 98, 3},
		{m0 + minuteMS, 99, 4}, // next minute
		{m0 + 3*minuteMS + 5, 120, 5},
		{m0 + 2000, 500, 9},     // late trade for a held minute: updates it
		{m0 + 2*minuteMS, 1, 1}, // late trade for a minute that had no candle: dropped
	}
	for _, tr := range trades {
		r.add(tr.at, tr.price, tr.volume)
	}
	all := []Candle{
		{Start: m0, Open: 100, High: 500, Low: 98, Close: 500, Volume: 15},
		{Start: m0 + minuteMS, Open: 99, High: 99, Low: 99, Close: 99, Volume: 4},
		{Start: m0 + 3*minuteMS, Open: 120, High: 120, Low: 120, Close: 120, Volume: 5},
	}
	tests := []struct {
		name     string
		from, to int64
		want     []Candle
	}{
		{"everything", 0, 1 << 62, all},
		{"exact bounds", m0, m0 + 4*minuteMS, all},
		{"to is exclusive", m0, m0 + 3*minuteMS, all[:2]},
		{"from mid-minute skips that minute", m0 + 1, m0 + 4*minuteMS, all[1:]},
		{"to mid-minute includes that minute", m0, m0 + minuteMS + 1, all[:2]},
		{"only the open minute", m0 + 3*minuteMS, m0 + 3*minuteMS + 1, all[2:]},
		{"gap", m0 + 2*minuteMS, m0 + 3*minuteMS, nil},
		{"empty interval", m0, m0, nil},
		{"reversed", m0 + 4*minuteMS, m0, nil},
		{"future", m0 + 10*minuteMS, m0 + 20*minuteMS, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := r.appendRange(nil, tt.from, tt.to)
			if len(got) != len(tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("candle %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestCandleRingBound(t *testing.T) {
	var r candleRing
	const n = 3 * CandleSlots
	for k := int64(0); k < n; k++ {
		r.add(k*minuteMS+30_000, 100+k, 1)
	}
	got := r.appendRange(nil, 0, 1<<62)
	if len(got) != CandleSlots {
		t.Fatalf("%d candles held, want %d", len(got), CandleSlots)
	}
	for i, c := range got {
		k := int64(n - CandleSlots + i)
		if c.Start != k*minuteMS || c.Close != 100+k {
			t.Fatalf("candle %d = %+v, want minute %d", i, c, k)
		}
	}
}

func TestMarketCandlesBackfill(t *testing.T) {
	m := mustMarket(t, MarketConfig{Seed: 9})
	start := marketTestStart
	for _, s := range m.Symbols() {
		cs, ok := m.Candles(s.Ticker, start.Add(-7*time.Hour), start.Add(time.Hour))
		if !ok {
			t.Fatalf("Candles(%s) unknown", s.Ticker)
		}
		if len(cs) != int(BackfillSpan/time.Minute) {
			t.Fatalf("%s: %d back-filled candles, want %d", s.Ticker, len(cs), BackfillSpan/time.Minute)
		}
		if first := time.UnixMilli(cs[0].Start); !first.Equal(start.Add(-BackfillSpan)) {
			t.Errorf("%s: first candle at %v, want %v", s.Ticker, first.UTC(), start.Add(-BackfillSpan))
		}
		for i, c := range cs {
			if i > 0 && c.Start != cs[i-1].Start+minuteMS {
				t.Fatalf("%s: candle %d at %d after %d", s.Ticker, i, c.Start, cs[i-1].Start)
			}
			checkCandle(t, s.Ticker, c)
		}
		// The back-filled path ends at the starting price: its last sample is
		// 10 s before the start, so within a few tenths of a percent.
		if last := cs[len(cs)-1].Close; absCents(last-s.Price)*1000 > s.Price*5 {
			t.Errorf("%s: back-fill ends at %d, start price %d", s.Ticker, last, s.Price)
		}
	}
	if _, ok := m.Candles("NOPE", start.Add(-time.Hour), start); ok {
		t.Error("Candles(NOPE) found")
	}

	// Deterministic from the seed.
	same := mustMarket(t, MarketConfig{Seed: 9})
	other := mustMarket(t, MarketConfig{Seed: 10})
	a, _ := m.Candles("AAPL", start.Add(-BackfillSpan), start)
	b, _ := same.Candles("AAPL", start.Add(-BackfillSpan), start)
	c, _ := other.Candles("AAPL", start.Add(-BackfillSpan), start)
	if !equalCandles(a, b) {
		t.Error("same seed, different back-fill")
	}
	if equalCandles(a, c) {
		t.Error("different seeds, same back-fill")
	}
}

func TestMarketCandlesLive(t *testing.T) {
	m := mustMarket(t, MarketConfig{Seed: 11, Symbols: mustUniverse(t)[:5]}) // AAPL, MSFT, ...
	start := marketTestStart
	var last Quote
	for range 3 * 60 {
		for _, q := range m.Advance(time.Minute) {
			if q.Symbol == "MSFT" {
				last = q
			}
		}
	}
	now := start.Add(3 * time.Hour)
	all, _ := m.Candles("MSFT", time.Time{}, now.Add(time.Minute))
	if len(all) != CandleSlots {
		t.Fatalf("%d candles after 3 h of ticks over 6 h of back-fill, want the ring's %d", len(all), CandleSlots)
	}
	newest := all[len(all)-1]
	if newest.Start != now.Add(-time.Minute).UnixMilli() || newest.Close != last.Price {
		t.Errorf("newest candle %+v, want minute %v closing at %d", newest, now.Add(-time.Minute), last.Price)
	}
	for _, c := range all {
		checkCandle(t, "MSFT", c)
	}
	live, _ := m.Candles("MSFT", start, now)
	if len(live) != 180 || live[0].Start != start.UnixMilli() {
		t.Errorf("live range: %d candles from %d, want 180 from %d", len(live), live[0].Start, start.UnixMilli())
	}
}

func checkCandle(t *testing.T, ticker string, c Candle) {
	t.Helper()
	if c.Low < 1 || c.Low > c.Open || c.Low > c.Close || c.High < c.Open || c.High < c.Close || c.Volume <= 0 {
		t.Fatalf("%s: inconsistent candle %+v", ticker, c)
	}
}

func equalCandles(a, b []Candle) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func absCents(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}
