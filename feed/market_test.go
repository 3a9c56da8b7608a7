package feed

import (
	"bytes"
	"math"
	"testing"
	"time"

	"github.com/tickerd/tickerd/data"
)

// marketTestStart is a fixed simulated start: 2025-03-10 14:30 UTC.
var marketTestStart = time.Date(2025, 3, 10, 14, 30, 0, 0, time.UTC)

// mustUniverse loads the shipped universe.
func mustUniverse(tb testing.TB) []Symbol {
	tb.Helper()
	syms, err := LoadUniverse(bytes.NewReader(data.SymbolsCSV))
	if err != nil {
		tb.Fatalf("load shipped universe: %v", err)
	}
	return syms
}

// mustMarket returns a market over the shipped universe at marketTestStart.
func mustMarket(tb testing.TB, cfg MarketConfig) *Market {
	tb.Helper()
	if cfg.Symbols == nil {
		cfg.Symbols = mustUniverse(tb)
	}
	if cfg.Start.IsZero() {
		cfg.Start = marketTestStart
	}
	m, err := NewMarket(cfg)
	if err != nil {
		tb.Fatalf("NewMarket: %v", err)
	}
	return m
}

// pathOf strips the wall-clock timestamp so paths can be compared.
func pathOf(qs []Quote) []Quote {
	out := make([]Quote, len(qs))
	for i, q := range qs {
		q.TS = 0
		out[i] = q
	}
	return out
}

func TestNewMarketInitialQuotes(t *testing.T) {
	syms := mustUniverse(t)
	m := mustMarket(t, MarketConfig{Symbols: syms, Seed: 1})
	got := m.Symbols()
	if len(got) != len(syms) {
		t.Fatalf("Symbols: %d, want %d", len(got), len(syms))
	}
	for i := 1; i < len(got); i++ {
		if got[i-1].Ticker >= got[i].Ticker {
			t.Fatalf("Symbols not sorted: %s before %s", got[i-1].Ticker, got[i].Ticker)
		}
	}
	for _, s := range syms {
		q, ok := m.Quote(s.Ticker)
		if !ok {
			t.Fatalf("Quote(%s) missing", s.Ticker)
		}
		want := Quote{Symbol: s.Ticker, Price: s.Price, PrevClose: s.Price, Open: s.Price,
			High: s.Price, Low: s.Price, TS: q.TS}
		if q != want || q.TS == 0 {
			t.Errorf("initial quote %+v, want %+v with a TS", q, want)
		}
		if p, pc, ok := m.LastPrice(s.Ticker); !ok || p != s.Price || pc != s.Price {
			t.Errorf("LastPrice(%s) = %d, %d, %v", s.Ticker, p, pc, ok)
		}
		if l, ok := m.Lookup(s.Ticker); !ok || l != s {
			t.Errorf("Lookup(%s) = %+v, %v", s.Ticker, l, ok)
		}
	}
	for _, bad := range []string{"", "aapl", "NOPE"} {
		if _, ok := m.Quote(bad); ok {
			t.Errorf("Quote(%q) found", bad)
		}
		if _, _, ok := m.LastPrice(bad); ok {
			t.Errorf("LastPrice(%q) found", bad)
		}
		if _, ok := m.Lookup(bad); ok {
			t.Errorf("Lookup(%q) found", bad)
		}
	}
	if qs := m.Quotes([]string{"MSFT", "NOPE", "AAPL"}); len(qs) != 2 || qs[0].Symbol != "MSFT" || qs[1].Symbol != "AAPL" {
		t.Errorf("Quotes = %+v, want MSFT then AAPL", qs)
	}
	if all := m.AllQuotes(); len(all) != len(syms) || all[0].Symbol != got[0].Ticker {
		t.Errorf("AllQuotes: %d quotes starting %q", len(all), all[0].Symbol)
	}
	if !m.Now().Equal(marketTestStart) {
		t.Errorf("Now = %v, want %v", m.Now(), marketTestStart)
	}
}

func TestNewMarketRejectsBadConfig(t *testing.T) {
	good := []Symbol{{Ticker: "AAA", Name: "A", Sector: "X", Price: 100, Volatility: 0.2}}
	tests := []struct {
		name string
		cfg  MarketConfig
	}{
		{"empty universe", MarketConfig{}},
		{"negative speed", MarketConfig{Symbols: good, Speed: -1}},
		{"NaN speed", MarketConfig{Symbols: good, Speed: math.NaN()}},
		{"negative rate", MarketConfig{Symbols: good, TicksPerSecond: -2}},
		{"huge rate", MarketConfig{Symbols: good, TicksPerSecond: 1e9}},
		{"bad symbol", MarketConfig{Symbols: []Symbol{{Ticker: "AAA", Name: "A", Sector: "X", Price: 0, Volatility: 0.2}}}},
		{"duplicate", MarketConfig{Symbols: append(good, good[0])}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewMarket(tt.cfg); err == nil {
				t.Fatal("NewMarket accepted a bad config")
			}
		})
	}
}

func TestMarketSameSeedSamePath(t *testing.T) {
	a := mustMarket(t, MarketConfig{Seed: 42})
	b := mustMarket(t, MarketConfig{Seed: 42})
	c := mustMarket(t, MarketConfig{Seed: 43})
	var pa, pb, pc []Quote
	// Different step sizes on a and b: batching must not change the path.
	for range 10 {
		pa = append(pa, pathOf(a.Advance(time.Minute))...)
		pc = append(pc, pathOf(c.Advance(time.Minute))...)
	}
	for range 600 {
		pb = append(pb, pathOf(b.Advance(time.Second))...)
	}
	if len(pa) < 1000 {
		t.Fatalf("only %d ticks in 10 simulated minutes", len(pa))
	}
	if len(pa) != len(pb) {
		t.Fatalf("same seed: %d vs %d ticks", len(pa), len(pb))
	}
	for i := range pa {
		if pa[i] != pb[i] {
			t.Fatalf("same seed diverges at tick %d: %+v vs %+v", i, pa[i], pb[i])
		}
	}
	same := 0
	for i := range min(len(pa), len(pc)) {
		if pa[i] == pc[i] {
			same++
		}
	}
	if same > len(pa)/100 {
		t.Errorf("different seeds: %d of %d ticks identical", same, len(pa))
	}
	qa, _ := a.Quote("AAPL")
	qb, _ := b.Quote("AAPL")
	if qa.Price != qb.Price || qa.Seq != qb.Seq {
		t.Errorf("same seed, final AAPL %+v vs %+v", qa, qb)
	}
}

func TestMarketTickInvariants(t *testing.T) {
	// A one-cent, very volatile symbol wanders below the cent grid's floor.
	syms := append(mustUniverse(t)[:20], Symbol{Ticker: "PENNY", Name: "Penny", Sector: "X",
		Price: 1, Volatility: 4.9, Drift: -0.9})
	m := mustMarket(t, MarketConfig{Symbols: syms, Seed: 7, TicksPerSecond: 5})
	prev := make(map[string]Quote)
	for _, q := range m.AllQuotes() {
		prev[q.Symbol] = q
	}
	for range 60 {
		for _, q := range m.Advance(time.Minute) {
			p := prev[q.Symbol]
			if q.Seq != p.Seq+1 {
				t.Fatalf("%s: seq %d after %d", q.Symbol, q.Seq, p.Seq)
			}
			if q.Price < 1 {
				t.Fatalf("%s: price %d below one cent", q.Symbol, q.Price)
			}
			if q.Low > q.Price || q.Price > q.High || q.Low > q.Open || q.Open > q.High {
				t.Fatalf("%s: low %d open %d price %d high %d", q.Symbol, q.Low, q.Open, q.Price, q.High)
			}
			if q.Volume <= p.Volume || q.PrevClose != p.PrevClose {
				t.Fatalf("%s: volume %d after %d, prev close %d after %d (same day)",
					q.Symbol, q.Volume, p.Volume, q.PrevClose, p.PrevClose)
			}
			prev[q.Symbol] = q
		}
	}
	for tk, p := range prev {
		if q, _ := m.Quote(tk); q != p {
			t.Errorf("Quote(%s) = %+v, last tick %+v", tk, q, p)
		}
	}
	if got, want := m.Ticks(), sumSeq(prev); got != want {
		t.Errorf("Ticks = %d, want sum of seqs %d", got, want)
	}
}

func sumSeq(qs map[string]Quote) uint64 {
	var n uint64
	for _, q := range qs {
		n += q.Seq
	}
	return n
}

func TestMarketDayRollover(t *testing.T) {
	start := time.Date(2025, 3, 10, 23, 59, 0, 0, time.UTC)
	m := mustMarket(t, MarketConfig{Seed: 3, Start: start})
	last := make(map[string]Quote)
	for _, q := range m.Advance(time.Minute - time.Nanosecond) {
		last[q.Symbol] = q
	}
	rolled := make(map[string]bool)
	for _, q := range m.Advance(2 * time.Minute) {
		p := last[q.Symbol]
		if !rolled[q.Symbol] {
			rolled[q.Symbol] = true
			want := Quote{Symbol: q.Symbol, Price: q.Price, PrevClose: p.Price, Open: q.Price,
				High: q.Price, Low: q.Price, Volume: q.Volume, TS: q.TS, Seq: p.Seq + 1}
			if q != want || q.Volume <= 0 || q.Volume >= p.Volume {
				t.Fatalf("first tick of the day %+v, want %+v (previous %+v)", q, want, p)
			}
		}
		last[q.Symbol] = q
	}
	if len(rolled) != len(m.Symbols()) {
		t.Errorf("%d of %d symbols rolled over", len(rolled), len(m.Symbols()))
	}
}

func TestSnapCents(t *testing.T) {
	tests := []struct {
		in   float64
		want int64
	}{
		{18712.4, 18712}, {18712.5, 18713}, {1.49, 1}, {1, 1}, {0.99, 1}, {0.2, 1},
		{0, 1}, {-5, 1}, {math.NaN(), 1}, {math.Inf(-1), 1}, {math.Inf(1), math.MaxInt64 / 2},
	}
	for _, tt := range tests {
		if got := snapCents(tt.in); got != tt.want {
			t.Errorf("snapCents(%v) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

// TestMarketSessionDay: the session is the simulated clock's UTC day, and
// the first tick of the next day rolls the previous close over.
func TestMarketSessionDay(t *testing.T) {
	start := time.Date(2026, 3, 2, 23, 59, 0, 0, time.UTC)
	m := mustMarket(t, MarketConfig{Symbols: mustUniverse(t)[:1], Seed: 1, TicksPerSecond: 5, Start: start})
	ticker := m.Symbols()[0].Ticker
	day := start.Unix() / (24 * 60 * 60)
	if got := m.SessionDay(); got != day {
		t.Fatalf("SessionDay = %d, want %d", got, day)
	}
	m.Advance(50 * time.Second)
	closing, yesterday, _ := m.LastPrice(ticker)
	if got := m.SessionDay(); got != day {
		t.Fatalf("SessionDay at 23:59:50 = %d, want %d", got, day)
	}
	quotes := m.Advance(20 * time.Second) // to 00:00:10 the next day
	if got := m.SessionDay(); got != day+1 {
		t.Fatalf("SessionDay after midnight = %d, want %d", got, day+1)
	}
	rolled := false
	for _, q := range quotes {
		if !rolled && q.PrevClose != yesterday {
			if q.PrevClose != closing {
				t.Fatalf("prev close rolled over to %d, want the day's last price %d", q.PrevClose, closing)
			}
			rolled = true
		}
		if !rolled {
			closing = q.Price
		}
	}
	if !rolled {
		t.Fatalf("no quote rolled the previous close over at midnight: %+v", quotes)
	}
}
