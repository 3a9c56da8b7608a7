package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"

	"github.com/tickerd/tickerd/feed"
	"github.com/tickerd/tickerd/portfolio"
)

const demoUsername = "demo"

// demoTrades and demoWatchlist are the sample portfolio of a new demo
// account; symbols missing from the universe are skipped.
var (
	demoTrades    = []portfolio.TradeRequest{{Symbol: "AAPL", Side: portfolio.Buy, Quantity: 20}, {Symbol: "MSFT", Side: portfolio.Buy, Quantity: 10}, {Symbol: "NVDA", Side: portfolio.Buy, Quantity: 15}, {Symbol: "JPM", Side: portfolio.Buy, Quantity: 12}}
	demoWatchlist = []string{"AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "TSLA", "JPM", "XOM"}
)

// setUpDemo creates the demo account with a sample portfolio and watchlist,
// or, if it exists, gives it a new password. It returns the password.
func setUpDemo(ctx context.Context, store *portfolio.Store, market *feed.Market, log *slog.Logger) (string, error) {
	password := randomPassword()
	acct, err := store.Register(ctx, demoUsername, password)
	if portfolio.ErrorCode(err) == portfolio.CodeUsernameTaken {
		if err := store.ResetPassword(ctx, demoUsername, password); err != nil {
			return "", fmt.Errorf("reset password: %w", err)
		}
		log.Info("demo account: password reset", "username", demoUsername)
		return password, nil
	}
	if err != nil {
		return "", fmt.Errorf("register: %w", err)
	}
	for _, t := range demoTrades {
		if _, ok := market.Lookup(t.Symbol); !ok {
			continue
		}
		if _, err := store.PlaceTrade(ctx, acct.ID, t, market); err != nil {
			return "", fmt.Errorf("sample trade %s: %w", t.Symbol, err)
		}
	}
	var watch []string
	for _, s := range demoWatchlist {
		if _, ok := market.Lookup(s); ok {
			watch = append(watch, s)
		}
	}
	if err := store.SetWatchlist(ctx, acct.ID, watch); err != nil {
		return "", fmt.Errorf("watchlist: %w", err)
	}
	log.Info("demo account: created", "username", demoUsername, "account_id", acct.ID)
	return password, nil
}

// randomPassword returns 26 base32 characters (128 random bits).
func randomPassword() string { return rand.Text() }
