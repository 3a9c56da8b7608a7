// Command tickbench is the reproducible benchmark of tickerd: it builds the
// server and the load tool, starts a server on a temp database for each
// scenario, puts load on it with tickload (and wrk for REST), runs the Go
// benchmarks of the feed package with benchstat, and writes
// docs/BENCHMARKS.md with the raw output beside it in docs/bench/.
//
// Every process it starts is in its own process group and is ended when the
// scenario ends, on Ctrl-C, on the overall -timeout, or (PR_SET_PDEATHSIG)
// when tickbench itself dies.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := mainErr(ctx, os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
	case err != nil:
		fmt.Fprintln(os.Stderr, "tickbench:", err)
		os.Exit(1)
	}
}

// mainErr parses the flags and either re-renders the Markdown from the last
// results.json (-render) or runs the selected scenarios.
func mainErr(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	opts, err := parseOptions(args, stderr)
	if err != nil {
		return err
	}
	if opts.renderOnly {
		r, err := readResults(filepath.Join(opts.benchDir(), "results.json"))
		if err != nil {
			return err
		}
		return writeMarkdown(opts.out, opts.benchDir(), r)
	}
	ctx, cancel := context.WithTimeout(ctx, opts.timeout)
	defer cancel()
	b, err := newBench(ctx, opts, stderr)
	if err != nil {
		return err
	}
	defer b.close()
	if err := b.runAll(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s and %s\n", opts.out, opts.benchDir())
	return nil
}
