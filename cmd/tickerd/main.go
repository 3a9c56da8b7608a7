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
	"runtime"
	"syscall"

	"github.com/tickerd/tickerd/portfolio"
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
	addHashProcs(m.Config.HashConc)
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
	if err := m.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "tickerd:", err)
		os.Exit(1)
	}
	if runErr != nil {
		fmt.Fprintln(os.Stderr, "tickerd:", runErr)
		os.Exit(1)
	}
}

// addHashProcs gives the password hashing workers Go processors of their
// own, unless GOMAXPROCS is set. A worker holds a processor for a whole
// hash (tens of milliseconds); without an extra one, a login storm would
// leave the price feed and the requests one processor fewer. The workers'
// threads run at a lower priority, so the kernel gives them only the CPU
// time the rest leaves over. In the login-storm benchmark on 2 CPUs this
// took quote p99 from 54-55 ms to 45-46 ms.
func addHashProcs(hashConc int) {
	if os.Getenv("GOMAXPROCS") != "" {
		return
	}
	if hashConc <= 0 {
		hashConc = portfolio.DefaultHashConcurrency()
	}
	runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) + hashConc)
}
