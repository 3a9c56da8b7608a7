package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"os"

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

// demo is how the demo account was set up, for the start-up message.
type demo struct {
	password string // set when this start chose or changed it
	file     string // where a generated password is kept
}

// message is the line printed at start-up: the password when this start
// set it, otherwise where to find it.
func (d demo) message() string {
	switch {
	case d.password != "":
		return fmt.Sprintf("demo account: username %s, password %s", demoUsername, d.password)
	case d.file != "":
		return fmt.Sprintf("demo account: username %s, password unchanged (kept in %s)", demoUsername, d.file)
	}
	return fmt.Sprintf("demo account: username %s, password as given by -demo-password", demoUsername)
}

// setUpDemo makes sure the demo account exists with a sample portfolio and
// watchlist, and keeps its password, and so its sessions, across restarts.
// With want (-demo-password) the account has that password. Without it a
// new account gets a random password, kept in file (readable by the owner
// only) and printed once; an existing account keeps the password in file.
// Only an account whose password is unknown (no file, or a file that no
// longer matches) gets a new one, which signs its sessions out.
func setUpDemo(ctx context.Context, store *portfolio.Store, market *feed.Market, want, file string, log *slog.Logger) (demo, error) {
	password, fromFile := want, false
	if password == "" {
		if b, err := os.ReadFile(file); err == nil && len(bytes.TrimSpace(b)) > 0 {
			password, fromFile = string(bytes.TrimSpace(b)), true
		} else {
			password = randomPassword()
		}
	}
	acct, err := store.Register(ctx, demoUsername, password)
	switch {
	case portfolio.ErrorCode(err) == portfolio.CodeUsernameTaken:
		return keepDemo(ctx, store, password, want, file, fromFile, log)
	case err != nil:
		return demo{}, fmt.Errorf("register: %w", err)
	}
	if err := fillDemo(ctx, store, market, acct.ID); err != nil {
		return demo{}, err
	}
	log.Info("demo account: created", "username", demoUsername, "account_id", acct.ID)
	if want != "" {
		return demo{}, nil
	}
	if err := writeDemoPassword(file, password); err != nil {
		return demo{}, err
	}
	return demo{password: password, file: file}, nil
}

// keepDemo leaves an existing demo account's password as it is when it is
// the one wanted (or kept in the file); otherwise it sets it.
func keepDemo(ctx context.Context, store *portfolio.Store, password, want, file string, fromFile bool, log *slog.Logger) (demo, error) {
	if want != "" || fromFile {
		tok, _, err := store.Login(ctx, demoUsername, password)
		if err == nil {
			if _, err := store.Logout(ctx, tok); err != nil {
				return demo{}, fmt.Errorf("check password: %w", err)
			}
			log.Info("demo account: kept", "username", demoUsername)
			if want != "" {
				return demo{}, nil
			}
			return demo{file: file}, nil
		}
		if portfolio.ErrorCode(err) != portfolio.CodeInvalidCredentials {
			return demo{}, fmt.Errorf("check password: %w", err)
		}
	}
	if err := store.ResetPassword(ctx, demoUsername, password); err != nil {
		return demo{}, fmt.Errorf("reset password: %w", err)
	}
	log.Info("demo account: password set", "username", demoUsername)
	if want != "" {
		return demo{}, nil
	}
	if err := writeDemoPassword(file, password); err != nil {
		return demo{}, err
	}
	return demo{password: password, file: file}, nil
}

// fillDemo gives a new demo account its sample trades and watchlist.
func fillDemo(ctx context.Context, store *portfolio.Store, market *feed.Market, accountID int64) error {
	for _, t := range demoTrades {
		if _, ok := market.Lookup(t.Symbol); !ok {
			continue
		}
		if _, err := store.PlaceTrade(ctx, accountID, t, market, market); err != nil {
			return fmt.Errorf("sample trade %s: %w", t.Symbol, err)
		}
	}
	var watch []string
	for _, s := range demoWatchlist {
		if _, ok := market.Lookup(s); ok {
			watch = append(watch, s)
		}
	}
	if err := store.SetWatchlist(ctx, accountID, watch); err != nil {
		return fmt.Errorf("watchlist: %w", err)
	}
	return nil
}

// demoPasswordFile is where the generated demo password is kept: beside the
// database, whose directory is the operator's.
func demoPasswordFile(db string) string { return db + ".demo-password" }

// writeDemoPassword keeps a generated password for later starts.
func writeDemoPassword(file, password string) error {
	if err := os.WriteFile(file, []byte(password+"\n"), 0o600); err != nil {
		return fmt.Errorf("keep demo password: %w", err)
	}
	return nil
}

// randomPassword returns 26 base32 characters (128 random bits).
func randomPassword() string { return rand.Text() }
