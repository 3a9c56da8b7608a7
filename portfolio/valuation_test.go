package portfolio

import (
	"context"
	"reflect"
	"testing"
)

// The figures below are computed by hand.
//
//	AAPL 10 sh, basis 1,500.00, last 160.00, prev 155.00
//	MSFT  3 sh, basis 1,000.00 (avg 333.333 -> 333.33), last 320.00, prev 330.00
//	ZZZ   2 sh, basis 10.01 (avg 5.005 -> 5.01), no price: valued at avg cost
var wantPositions = []PositionValue{
	{Symbol: "AAPL", Quantity: 10, AvgCost: 15_000, CostBasis: 150_000, LastPrice: 16_000, PrevClose: 15_500,
		MarketValue: 160_000, UnrealizedPL: 10_000, UnrealizedBP: 667, // 6.6667 %
		DayChange: 5_000, DayChangeBP: 323, DayBasis: 155_000}, // 5000/155000 = 3.2258 %
	{Symbol: "MSFT", Quantity: 3, AvgCost: 33_333, CostBasis: 100_000, LastPrice: 32_000, PrevClose: 33_000,
		MarketValue: 96_000, UnrealizedPL: -4_000, UnrealizedBP: -400,
		DayChange: -3_000, DayChangeBP: -303, DayBasis: 99_000}, // -3000/99000 = -3.0303 %
	{Symbol: "ZZZ", Quantity: 2, AvgCost: 501, CostBasis: 1_001, LastPrice: 501, PrevClose: 501,
		MarketValue: 1_002, UnrealizedPL: 1, UnrealizedBP: 10, DayBasis: 1_002}, // 1/1001 = 0.0999 %
}

var wantValuation = Valuation{
	Cash:         1_000_000,
	MarketValue:  257_002,
	TotalValue:   1_257_002,
	CostBasis:    251_001,
	UnrealizedPL: 6_001,
	UnrealizedBP: 239, // 6001/251001 = 2.3908 %
	DayChange:    2_000,
	DayChangeBP:  16, // 2000/1255002 = 0.1594 %
	Positions:    wantPositions,
}

func valuationPrices() *fakePrices {
	p := newFakePrices()
	p.set("AAPL", 16_000, 15_500)
	p.set("MSFT", 32_000, 33_000)
	return p
}

func TestValue(t *testing.T) {
	positions := []Position{
		{Symbol: "MSFT", Quantity: 3, CostBasis: 100_000},
		{Symbol: "ZZZ", Quantity: 2, CostBasis: 1_001},
		{Symbol: "AAPL", Quantity: 10, CostBasis: 150_000},
	}
	clock := newTestClock()
	got := Value(1_000_000, positions, valuationPrices(), 20_000, clock.Now())
	want := wantValuation
	want.AsOf = clock.Now()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Value =\n%+v\nwant\n%+v", got, want)
	}
}

func TestStoreValuation(t *testing.T) {
	ctx := context.Background()
	clock := newTestClock()
	s := MustOpenStore(t, Options{Now: clock.Now, StartingCash: 1_251_001})
	a := mustRegister(t, s, "alice")
	// Buy at prices that give the basis of the hand-computed example.
	buys := []struct {
		sym        string
		qty, price int64
	}{{"AAPL", 10, 15_000}, {"MSFT", 1, 33_334}, {"MSFT", 2, 33_333}, {"ZZZ", 1, 500}, {"ZZZ", 1, 501}}
	for _, b := range buys {
		p := newFakePrices()
		p.set(b.sym, b.price, b.price)
		if _, err := s.PlaceTrade(ctx, a.ID, TradeRequest{b.sym, Buy, b.qty}, p, p); err != nil {
			t.Fatal(err)
		}
	}
	// Valued the next session, so the buys are yesterday's.
	nextDay := valuationPrices()
	nextDay.setSession(newFakePrices().SessionDay() + 1)
	got, err := s.Valuation(ctx, a.ID, nextDay, nextDay)
	if err != nil {
		t.Fatal(err)
	}
	want := wantValuation
	want.AsOf = clock.Now()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Valuation =\n%+v\nwant\n%+v", got, want)
	}

	empty := mustRegister(t, s, "bob")
	got, err = s.Valuation(ctx, empty.ID, valuationPrices(), valuationPrices())
	if err != nil {
		t.Fatal(err)
	}
	if got.Cash != 1_251_001 || got.TotalValue != 1_251_001 || got.Positions == nil || len(got.Positions) != 0 {
		t.Fatalf("empty valuation = %+v", got)
	}
	_, err = s.Valuation(ctx, 999, valuationPrices(), valuationPrices())
	wantCode(t, err, CodeNotFound, "")
}

func TestRatioBP(t *testing.T) {
	tests := []struct{ num, den, want int64 }{
		{0, 0, 0}, {5, 0, 0}, {1, 100, 100}, {1, 3, 3333}, {2, 3, 6667},
		{1, 20_000, 1}, {-1, 20_000, -1}, {1, -20_000, -1}, {-1, -20_000, 1},
		{1, 20_001, 0}, {53, 18_659, 28}, {-3_000, 99_000, -303},
	}
	for _, tt := range tests {
		if got := ratioBP(tt.num, tt.den); got != tt.want {
			t.Errorf("ratioBP(%d, %d) = %d, want %d", tt.num, tt.den, got, tt.want)
		}
	}
	for _, tt := range []struct{ num, den, want int64 }{{7, 2, 4}, {-7, 2, -4}, {5, 3, 2}, {4, 3, 1}, {0, 0, 0}} {
		if got := roundDiv(tt.num, tt.den); got != tt.want {
			t.Errorf("roundDiv(%d, %d) = %d, want %d", tt.num, tt.den, got, tt.want)
		}
	}
}
