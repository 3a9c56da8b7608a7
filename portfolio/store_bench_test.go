package portfolio

import (
	"context"
	"fmt"
	"testing"
)

func benchStore(b *testing.B) (*Store, Account, *fakePrices) {
	b.Helper()
	ctx := context.Background()
	s := MustOpenStore(b, Options{StartingCash: 1 << 50})
	a := mustRegister(b, s, "alice")
	prices := newFakePrices()
	for i := range 10 {
		sym := fmt.Sprintf("S%d", i)
		prices.set(sym, int64(1000+i), 990)
		if _, err := s.PlaceTrade(ctx, a.ID, TradeRequest{sym, Buy, 10}, prices, prices); err != nil {
			b.Fatal(err)
		}
	}
	return s, a, prices
}

// BenchmarkValuation values a 10-position portfolio from the reader pool.
func BenchmarkValuation(b *testing.B) {
	s, a, prices := benchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Valuation(ctx, a.ID, prices, prices); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkAuthenticate looks a session token up.
func BenchmarkAuthenticate(b *testing.B) {
	s, _, _ := benchStore(b)
	ctx := context.Background()
	token, _, err := s.Login(ctx, "alice", "correct horse battery")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Authenticate(ctx, token); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkPlaceTrade fills buys through the single writer.
func BenchmarkPlaceTrade(b *testing.B) {
	s, a, prices := benchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.PlaceTrade(ctx, a.ID, TradeRequest{"S1", Buy, 1}, prices, prices); err != nil {
			b.Fatal(err)
		}
	}
}
