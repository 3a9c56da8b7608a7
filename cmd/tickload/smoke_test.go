package main

import (
	"context"
	"testing"
	"time"

	"github.com/tickerd/tickerd/cmd/tickerd/tickerdtest"
)

// TestSmokeAgainstRealServer builds and starts the real tickerd on a temp
// database, then runs the load tool in each mode for a few seconds. It fails
// if any client fails to connect or errs, or if no quotes arrive.
func TestSmokeAgainstRealServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts the server")
	}
	srv := tickerdtest.New(t)
	srv.Start(t)
	url, pid := srv.URL, srv.PID()
	runs := []struct {
		mode     string
		reader   string
		clients  int
		duration time.Duration
	}{
		{modeWS, wsReaderEpoll, 200, 3 * time.Second},
		{modeWS, wsReaderGoroutine, 50, 2 * time.Second},
		{modeSSE, "", 50, 2 * time.Second},
		{modePoll, "", 50, 2 * time.Second},
	}
	for _, r := range runs {
		t.Run(r.mode+"/"+r.reader, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			rep, err := run(ctx, Config{
				URL: url, Mode: r.mode, Clients: r.clients, Symbols: 10, Spread: spreadRoundRobin, Seed: 1,
				Ramp: time.Second, Duration: r.duration, Interval: 250 * time.Millisecond,
				PerAccount: 20, UserPrefix: "smoke", Password: "smoke-password-1", AccountConcurrency: 4,
				SourceIPs: 253, Timeout: 10 * time.Second, ServerPID: pid, WSReader: r.reader,
			})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Server == nil {
				t.Fatal("no server usage despite ServerPID")
			}
			t.Logf("%s: %d clients, %.0f quotes/s, latency p50 %.1f ms p99 %.1f ms, %.0f B/quote, server %.0f%% CPU",
				r.mode, rep.Clients.Connected, rep.Quotes.PerS, rep.Latency.P50, rep.Latency.P99, rep.Bytes.PerQuote, rep.Server.CPUPct)
			if rep.Clients.Connected != int64(r.clients) || rep.Clients.Failed != 0 || rep.Clients.OpenAtEnd != int64(r.clients) {
				t.Errorf("clients = %+v, want all %d connected to the end", rep.Clients, r.clients)
			}
			if rep.ErrorsN != 0 {
				t.Errorf("client errors: %v (closes %v)", rep.Errors, rep.Closes)
			}
			if rep.Quotes.Window == 0 || rep.Latency.Count == 0 || rep.Quotes.Snapshots == 0 {
				t.Errorf("quotes = %+v, latency n = %d: no quotes arrived", rep.Quotes, rep.Latency.Count)
			}
			if rep.Bytes.PerQuote <= 0 || rep.Server.End.RSSBytes == 0 {
				t.Errorf("bytes per quote %v, server usage %+v", rep.Bytes.PerQuote, rep.Server)
			}
			if r.mode == modePoll && (rep.HTTP.Requests == 0 || rep.Staleness.Count == 0) {
				t.Errorf("poll: http %+v staleness %+v", rep.HTTP, rep.Staleness)
			}
		})
	}
}
