package portfolio

import (
	"context"
	"sync"
	"testing"
)

// TestConcurrentBuysNeverOverdraw fires 200 buys at one account at once,
// far more than its cash covers, and checks cash, position and trade log
// agree to the cent.
func TestConcurrentBuysNeverOverdraw(t *testing.T) {
	ctx := context.Background()
	const (
		buyers       = 200
		price        = 123_457 // $1,234.57
		startingCash = 10_000_000
	)
	s := MustOpenStore(t, Options{StartingCash: startingCash})
	a := mustRegister(t, s, "alice")
	prices := newFakePrices()
	prices.set("AAPL", price, price)

	type result struct {
		qty   int64
		trade Trade
		err   error
	}
	results := make([]result, buyers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range buyers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			qty := int64(1 + i%3)
			<-start
			tr, err := s.PlaceTrade(ctx, a.ID, TradeRequest{"AAPL", Buy, qty}, prices, prices)
			results[i] = result{qty, tr, err}
		}()
	}
	close(start)
	wg.Wait()

	var filled, spent, failed int64
	var minFailedQty int64 = 1 << 62
	cashAfters := map[int64]bool{}
	for _, r := range results {
		if r.err != nil {
			if ErrorCode(r.err) != CodeInsufficientCash {
				t.Fatalf("buy failed with %v (code %s)", r.err, ErrorCode(r.err))
			}
			failed++
			minFailedQty = min(minFailedQty, r.qty)
			continue
		}
		if r.trade.Amount != r.qty*price {
			t.Fatalf("trade %+v: wrong amount", r.trade)
		}
		if cashAfters[r.trade.CashAfter] {
			t.Fatalf("two trades saw cash after %d: not serialized", r.trade.CashAfter)
		}
		cashAfters[r.trade.CashAfter] = true
		filled += r.qty
		spent += r.trade.Amount
	}
	if failed == 0 || filled == 0 {
		t.Fatalf("filled %d shares, %d failures: the test needs both", filled, failed)
	}

	cash, positions, err := s.Holdings(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if cash < 0 || cash != startingCash-spent {
		t.Fatalf("cash = %d, want %d - %d = %d", cash, startingCash, spent, startingCash-spent)
	}
	if cash >= minFailedQty*price {
		t.Fatalf("cash %d would still cover a refused buy of %d", cash, minFailedQty)
	}
	if len(positions) != 1 || positions[0] != todays("AAPL", filled, spent, spent) {
		t.Fatalf("positions = %+v, want AAPL %d shares costing %d", positions, filled, spent)
	}
	var n, sum int64
	if err := s.reader.QueryRow("SELECT COUNT(*), COALESCE(SUM(amount_cents), 0) FROM trades WHERE account_id = ?",
		a.ID).Scan(&n, &sum); err != nil {
		t.Fatal(err)
	}
	if n != buyers-failed || sum != spent {
		t.Fatalf("trade log: %d trades summing %d, want %d summing %d", n, sum, buyers-failed, spent)
	}
	t.Logf("%d buys filled %d shares for %s; %d refused; cash left %s",
		n, filled, formatDollars(spent), failed, formatDollars(cash))
}

// TestConcurrentBuysAcrossStores runs buys through two Stores on one file,
// as two processes would: their writers serialize on SQLite's lock (BEGIN
// IMMEDIATE plus the busy timeout), and the books still balance.
func TestConcurrentBuysAcrossStores(t *testing.T) {
	ctx := context.Background()
	path := t.TempDir() + "/shared.db"
	s1 := MustOpenStoreAt(t, path, Options{StartingCash: 100_000})
	s2 := MustOpenStoreAt(t, path, Options{StartingCash: 100_000})
	a := mustRegister(t, s1, "alice")
	prices := newFakePrices()
	prices.set("AAPL", 3_000, 3_000) // 33 shares fit in $1,000.00

	var mu sync.Mutex
	var filled, spent int64
	var wg sync.WaitGroup
	for i := range 60 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := s1
			if i%2 == 1 {
				s = s2
			}
			tr, err := s.PlaceTrade(ctx, a.ID, TradeRequest{"AAPL", Buy, 1}, prices, prices)
			if err != nil {
				if ErrorCode(err) != CodeInsufficientCash {
					t.Errorf("buy: %v", err)
				}
				return
			}
			mu.Lock()
			filled, spent = filled+tr.Quantity, spent+tr.Amount
			mu.Unlock()
		}()
	}
	wg.Wait()
	cash, positions, err := s2.Holdings(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if filled != 33 || cash != 100_000-spent || cash != 1_000 ||
		len(positions) != 1 || positions[0] != todays("AAPL", filled, spent, spent) {
		t.Fatalf("filled %d for %d; cash %d, positions %+v", filled, spent, cash, positions)
	}
}
