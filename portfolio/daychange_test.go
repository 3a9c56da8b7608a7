package portfolio

import (
	"context"
	"testing"
)

// dayStep is a fill at price in session, with prevClose the symbol's
// previous close then.
type dayStep struct {
	session          int64
	prevClose, price int64
	side             Side
	qty              int64
}

// TestDayChange: a position's day change is measured from the previous
// close for the shares held when the session began and from their price for
// the session's trades. The figures are computed by hand, in exact cents.
func TestDayChange(t *testing.T) {
	const today = 20_000
	yesterday := int64(today - 1)
	tests := []struct {
		name            string
		steps           []dayStep
		prevClose, last int64 // AAPL at valuation, in session today
		qty             int64
		basis           int64 // DayBasis
		change          int64 // DayChange
		bp              int64 // DayChangeBP
	}{
		// The numbers: bought at 187.03, prev close 187.12.
		{"bought today below the prev close, no move since",
			[]dayStep{{today, 18_712, 18_703, Buy, 10}}, 18_712, 18_703,
			10, 187_030, 0, 0},
		{"bought today below the prev close, up since",
			[]dayStep{{today, 18_712, 18_703, Buy, 10}}, 18_712, 18_750,
			10, 187_030, 470, 25}, // 470/187030 = 0.2513 %
		{"bought today above the prev close, down since",
			[]dayStep{{today, 18_712, 18_800, Buy, 10}}, 18_712, 18_750,
			10, 188_000, -500, -27}, // -500/188000 = -0.2660 %
		{"held from yesterday, not traded today",
			[]dayStep{{yesterday, 18_000, 18_000, Buy, 10}}, 18_712, 19_100,
			10, 187_120, 3_880, 207}, // 10*(191.00-187.12); 3880/187120 = 2.0735 %
		{"held from yesterday plus a buy today",
			[]dayStep{{yesterday, 18_000, 18_000, Buy, 10}, {today, 18_712, 19_000, Buy, 5}}, 18_712, 19_100,
			15, 10*18_712 + 5*19_000, 4_380, 155}, // 286500-282120; 4380/282120 = 1.5525 %
		{"partial sell today",
			[]dayStep{{yesterday, 18_000, 18_000, Buy, 10}, {today, 18_712, 19_000, Sell, 4}}, 18_712, 19_100,
			6, 10*18_712 - 4*19_000, 3_480, 313}, // 114600-111120; 3480/111120 = 3.1317 %
		{"bought and partly sold today",
			[]dayStep{{today, 18_712, 18_703, Buy, 10}, {today, 18_712, 18_800, Sell, 3}}, 18_712, 18_750,
			7, 187_030 - 56_400, 620, 47}, // 131250-130630; 620/130630 = 0.4746 %
		{"sold out and bought back today",
			[]dayStep{{yesterday, 18_000, 18_000, Buy, 10}, {today, 18_712, 18_900, Sell, 10}, {today, 18_712, 18_800, Buy, 2}},
			18_712, 18_750, 2, 37_600, -100, -27}, // 37500-37600; -100/37600 = -0.2660 %
		{"traded only yesterday: the new session measures from the prev close",
			[]dayStep{{yesterday, 18_712, 18_703, Buy, 10}}, 18_703, 18_800,
			10, 187_030, 970, 52}, // 10*(188.00-187.03); 970/187030 = 0.5186 %
		{"the new session's first fill starts from the shares held",
			[]dayStep{{yesterday, 18_712, 18_703, Buy, 10}, {yesterday, 18_712, 18_720, Buy, 10}, {today, 18_750, 18_800, Buy, 1}},
			18_750, 18_790, 21, 20*18_750 + 18_800, 790, 20}, // 394590-393800; 790/393800 = 0.2006 %
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			s := MustOpenStore(t)
			a := mustRegister(t, s, "alice")
			prices := newFakePrices()
			cash := int64(DefaultStartingCash)
			for _, st := range tt.steps {
				prices.setSession(st.session)
				prices.set("AAPL", st.price, st.prevClose)
				tr, err := s.PlaceTrade(ctx, a.ID, TradeRequest{"AAPL", st.side, st.qty}, prices, prices)
				if err != nil {
					t.Fatalf("%+v: %v", st, err)
				}
				cash = tr.CashAfter
			}
			prices.setSession(today)
			prices.set("AAPL", tt.last, tt.prevClose)
			v, err := s.Valuation(ctx, a.ID, prices, prices)
			if err != nil {
				t.Fatal(err)
			}
			if len(v.Positions) != 1 {
				t.Fatalf("positions = %+v, want AAPL", v.Positions)
			}
			pv := v.Positions[0]
			if pv.Quantity != tt.qty || pv.DayBasis != tt.basis || pv.DayChange != tt.change || pv.DayChangeBP != tt.bp {
				t.Fatalf("quantity %d, day basis %d, change %d (%d bp); want %d, %d, %d (%d bp)",
					pv.Quantity, pv.DayBasis, pv.DayChange, pv.DayChangeBP, tt.qty, tt.basis, tt.change, tt.bp)
			}
			if pv.MarketValue-pv.DayBasis != pv.DayChange || pv.MarketValue != tt.qty*tt.last {
				t.Fatalf("market value %d - day basis %d != day change %d", pv.MarketValue, pv.DayBasis, pv.DayChange)
			}
			// The total: one position, so the same change, of the day's
			// starting value net of today's trades.
			if v.Cash != cash || v.DayChange != tt.change ||
				v.DayChangeBP != ratioBP(tt.change, cash+tt.qty*tt.last-tt.change) {
				t.Fatalf("total: cash %d, day change %d (%d bp)", v.Cash, v.DayChange, v.DayChangeBP)
			}
		})
	}
}

// TestDayChangeNoPrice: a position with no price has no day change, even
// when it was traded today.
func TestDayChangeNoPrice(t *testing.T) {
	p := Position{Symbol: "ZZZ", Quantity: 2, CostBasis: 1_001, DaySession: 7, DayOpenQty: 1, DayNetCash: 500}
	v := Value(0, []Position{p}, newFakePrices(), 7, newTestClock().Now())
	if pv := v.Positions[0]; pv.DayChange != 0 || pv.DayChangeBP != 0 || pv.MarketValue != 1_002 {
		t.Fatalf("unpriced position = %+v", pv)
	}
}

// TestDayChangeOfOlderRows: a position written before the day columns
// existed (only the columns of migration 0001) reads as not traded today.
func TestDayChangeOfOlderRows(t *testing.T) {
	ctx := context.Background()
	s := MustOpenStore(t)
	a := mustRegister(t, s, "alice")
	if _, err := s.writer.ExecContext(ctx,
		"INSERT INTO positions (account_id, symbol, quantity, cost_basis_cents) VALUES (?, 'AAPL', 10, 180000)",
		a.ID); err != nil {
		t.Fatal(err)
	}
	prices := newFakePrices()
	prices.set("AAPL", 18_800, 18_712)
	v, err := s.Valuation(ctx, a.ID, prices, prices)
	if err != nil {
		t.Fatal(err)
	}
	if pv := v.Positions[0]; pv.DayChange != 880 || pv.DayBasis != 187_120 {
		t.Fatalf("day change %d of %d, want 880 of 187120", pv.DayChange, pv.DayBasis)
	}
}
