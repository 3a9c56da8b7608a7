package portfolio

import (
	"context"
	"testing"
)

func TestTradesPagination(t *testing.T) {
	ctx := context.Background()
	s := MustOpenStore(t)
	a := mustRegister(t, s, "alice")
	prices := newFakePrices()
	prices.set("AAPL", 100, 100)
	const total = 23
	for range total {
		if _, err := s.PlaceTrade(ctx, a.ID, TradeRequest{"AAPL", Buy, 1}, prices, prices); err != nil {
			t.Fatal(err)
		}
	}
	for _, limit := range []int{1, 5, 7, 22, 23, 24, 100} {
		var seen []int64
		cursor, pages := "", 0
		for {
			page, next, err := s.Trades(ctx, a.ID, cursor, limit)
			if err != nil {
				t.Fatalf("limit %d page %d: %v", limit, pages, err)
			}
			pages++
			if len(page) > limit || (next != "" && len(page) != limit) {
				t.Fatalf("limit %d: page of %d, next %q", limit, len(page), next)
			}
			for _, tr := range page {
				seen = append(seen, tr.ID)
			}
			if next == "" {
				break
			}
			cursor = next
		}
		// Newest first, every trade once, no gaps.
		if len(seen) != total {
			t.Fatalf("limit %d: saw %d trades", limit, len(seen))
		}
		for i, id := range seen {
			if id != int64(total-i) {
				t.Fatalf("limit %d: position %d has id %d, want %d", limit, i, id, total-i)
			}
		}
		if want := (total + limit - 1) / limit; pages != want {
			t.Errorf("limit %d: %d pages, want %d", limit, pages, want)
		}
	}

	// Defaults and clamping.
	for _, tt := range []struct{ limit, want int }{{0, 23}, {-5, 23}, {1000, 23}} {
		page, next, err := s.Trades(ctx, a.ID, "", tt.limit)
		if err != nil || len(page) != tt.want || next != "" {
			t.Errorf("limit %d: %d trades, next %q, %v", tt.limit, len(page), next, err)
		}
	}
	for range 130 - total {
		if _, err := s.PlaceTrade(ctx, a.ID, TradeRequest{"AAPL", Buy, 1}, prices, prices); err != nil {
			t.Fatal(err)
		}
	}
	if page, _, _ := s.Trades(ctx, a.ID, "", 0); len(page) != DefaultTradesLimit {
		t.Errorf("default page has %d", len(page))
	}
	if page, _, _ := s.Trades(ctx, a.ID, "", 1000); len(page) != MaxTradesLimit {
		t.Errorf("clamped page has %d", len(page))
	}
}

func TestTradesBadCursor(t *testing.T) {
	ctx := context.Background()
	s := MustOpenStore(t)
	a := mustRegister(t, s, "alice")
	for _, c := range []string{"!!!", "MTI=", encodeCursor(5) + "x", "YWJj", "MA", "LTE", "MDEy", "OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5"} {
		_, _, err := s.Trades(ctx, a.ID, c, 10)
		wantCode(t, err, CodeInvalidCursor, "cursor")
	}
	if id, err := decodeCursor(encodeCursor(42)); err != nil || id != 42 {
		t.Fatalf("round trip: %d %v", id, err)
	}
}
