package portfolio

import (
	"context"
	"reflect"
	"testing"
)

// TestAccountsAreIsolated gives A trades, positions, a watchlist and a
// session, and checks that nothing B can call reaches them.
func TestAccountsAreIsolated(t *testing.T) {
	ctx := context.Background()
	s := MustOpenStore(t)
	a := mustRegister(t, s, "alice")
	b := mustRegister(t, s, "bob")
	prices := newFakePrices()
	prices.set("AAPL", 18712, 18659)
	for range 3 {
		if _, err := s.PlaceTrade(ctx, a.ID, TradeRequest{"AAPL", Buy, 2}, prices, prices); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetWatchlist(ctx, a.ID, []string{"AAPL", "MSFT"}); err != nil {
		t.Fatal(err)
	}
	aBefore := takeSnapshot(t, s, a.ID)

	trades, next, err := s.Trades(ctx, b.ID, "", 100)
	if err != nil || len(trades) != 0 || next != "" {
		t.Errorf("B's trades = %+v %q %v", trades, next, err)
	}
	// Even with a cursor taken from A's listing.
	_, aNext, err := s.Trades(ctx, a.ID, "", 1)
	if err != nil || aNext == "" {
		t.Fatal(err)
	}
	if trades, _, err := s.Trades(ctx, b.ID, aNext, 100); err != nil || len(trades) != 0 {
		t.Errorf("B's trades with A's cursor = %+v %v", trades, err)
	}
	cash, positions, err := s.Holdings(ctx, b.ID)
	if err != nil || cash != DefaultStartingCash || len(positions) != 0 {
		t.Errorf("B's holdings = %d %+v %v", cash, positions, err)
	}
	v, err := s.Valuation(ctx, b.ID, prices, prices)
	if err != nil || v.MarketValue != 0 || len(v.Positions) != 0 {
		t.Errorf("B's valuation = %+v %v", v, err)
	}
	if wl, err := s.Watchlist(ctx, b.ID); err != nil || len(wl) != 0 {
		t.Errorf("B's watchlist = %v %v", wl, err)
	}
	// B selling A's shares fails and changes nothing for A.
	_, err = s.PlaceTrade(ctx, b.ID, TradeRequest{"AAPL", Sell, 1}, prices, prices)
	wantCode(t, err, CodeInsufficientShares, "quantity")
	if err := s.SetWatchlist(ctx, b.ID, []string{"TSLA"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PlaceTrade(ctx, b.ID, TradeRequest{"AAPL", Buy, 1}, prices, prices); err != nil {
		t.Fatal(err)
	}
	if aAfter := takeSnapshot(t, s, a.ID); !reflect.DeepEqual(aAfter, aBefore) {
		t.Errorf("A changed by B: %+v, was %+v", aAfter, aBefore)
	}
	if wl, _ := s.Watchlist(ctx, a.ID); !reflect.DeepEqual(wl, []string{"AAPL", "MSFT"}) {
		t.Errorf("A's watchlist = %v", wl)
	}
	trades, _, _ = s.Trades(ctx, a.ID, "", 100)
	for _, tr := range trades {
		if tr.AccountID != a.ID {
			t.Errorf("A's listing has %+v", tr)
		}
	}
	if len(trades) != 3 {
		t.Errorf("A has %d trades", len(trades))
	}

	// A session names its own account only.
	tokA, _, err := s.Login(ctx, "alice", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	sess, err := s.Authenticate(ctx, tokA)
	if err != nil || sess.AccountID != a.ID || sess.Username != "alice" {
		t.Errorf("A's session = %+v %v", sess, err)
	}
}
