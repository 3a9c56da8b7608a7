// Command tickerd serves the stock-ticker dashboard: REST for accounts,
// portfolios and snapshots, WebSocket and SSE for live prices from a
// simulated market. main only wires; see Main.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	m := NewMain()
	if err := m.ParseFlags(ctx, os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "tickerd:", err)
		os.Exit(2)
	}
	if err := m.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "tickerd:", err)
		_ = m.Close()
		os.Exit(1)
	}

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-m.Done():
	}
	stop() // a second signal now kills the process at once
	// The error that stopped a part comes first: a failed Close must not hide it.
	if err := errors.Join(runErr, m.Close()); err != nil {
		fmt.Fprintln(os.Stderr, "tickerd:", err)
		os.Exit(1)
	}
}
