package wire

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
)

// TestPortfolioAppendJSON holds the hand-written encoder byte-for-byte equal
// to encoding/json over edge cases and random valuations, and equal in
// meaning for strings encoding/json escapes differently.
func TestPortfolioAppendJSON(t *testing.T) {
	odd := Portfolio{AsOf: `odd "as_of" <&> \ é` + "\x01\u2028",
		Positions: []Position{{Symbol: "<script>", Quantity: 1}}}
	got, want := decodeAny(t, odd.AppendJSON(nil)), decodeAny(t, mustMarshal(t, odd))
	if !reflect.DeepEqual(got, want) {
		t.Errorf("odd strings decode to %v, want %v", got, want)
	}

	cases := []Portfolio{
		{},
		{Positions: []Position{}},
		{Cash: -5, AsOf: "2026-11-22T03:00:00Z", Positions: []Position{{Symbol: "AAPL", Quantity: 1}}},
		{Cash: math.MaxInt64, MarketValue: math.MinInt64 + 1, TotalValue: math.MinInt64},
		{Positions: []Position{{Symbol: "BRK.B", Quantity: -3, DayChangePct: -1}, {Symbol: "X-1"}}},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	money := func() Money { return Money(rng.Int64N(2e12) - 1e12) }
	pct := func() Percent { return Percent(rng.Int64N(40001) - 20000) }
	for range 200 {
		p := Portfolio{Cash: money(), MarketValue: money(), TotalValue: money(), CostBasis: money(),
			UnrealizedPL: money(), UnrealizedPLPct: pct(), DayChange: money(), DayChangePct: pct(),
			AsOf: "2026-11-22T03:04:05Z", Positions: []Position{}}
		for range rng.IntN(6) {
			p.Positions = append(p.Positions, Position{Symbol: "SYM", Quantity: rng.Int64N(1e6),
				AvgCost: money(), LastPrice: money(), PrevClose: money(), MarketValue: money(), CostBasis: money(),
				UnrealizedPL: money(), UnrealizedPLPct: pct(), DayChange: money(), DayChangePct: pct()})
		}
		cases = append(cases, p)
	}
	for i, p := range cases {
		want := mustMarshal(t, p)
		if got := p.AppendJSON(nil); string(got) != string(want) {
			t.Fatalf("case %d:\n got %s\nwant %s", i, got, want)
		}
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodeAny(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("invalid JSON %s: %v", b, err)
	}
	return v
}

// BenchmarkPortfolio compares encoding/json with AppendJSON on a
// 10-position portfolio.
func BenchmarkPortfolio(b *testing.B) {
	p := Portfolio{Cash: 1234567, AsOf: "2026-11-22T03:04:05Z"}
	for _, s := range []string{"AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA", "BRK.B", "JPM", "V"} {
		p.Positions = append(p.Positions, Position{Symbol: s, Quantity: 120, AvgCost: 18712, LastPrice: 19001,
			PrevClose: 18950, MarketValue: 2280120, CostBasis: 2245440, UnrealizedPL: 34680, UnrealizedPLPct: 154})
	}
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(p); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("append", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 4096)
		for b.Loop() {
			buf = p.AppendJSON(buf[:0])
		}
	})
}
