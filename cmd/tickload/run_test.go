package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func fakeConfig(url, mode string, clients int) Config {
	return Config{
		URL: url, Mode: mode, Clients: clients, Symbols: 3, Spread: spreadRoundRobin, Seed: 1,
		Ramp: 100 * time.Millisecond, Duration: 600 * time.Millisecond, Interval: 50 * time.Millisecond,
		PerAccount: 4, UserPrefix: "t", Password: "pw", AccountConcurrency: 2, SourceIPs: 4,
		Timeout: 5 * time.Second, Settle: 200 * time.Millisecond,
	}
}

// TestRunModes checks each mode's accounting against the fake server's
// known behaviour: all clients connect, snapshots are counted apart, ticks
// arrive with small latency, bytes are counted, and nothing errs.
func TestRunModes(t *testing.T) {
	noLeaks(t)
	f := startFake(t, 20*time.Millisecond, 0)
	for _, m := range []struct{ mode, reader string }{
		{modeWS, wsReaderEpoll}, {modeWS, wsReaderGoroutine}, {modeSSE, ""}, {modePoll, ""},
	} {
		mode := m.mode
		t.Run(mode+"/"+m.reader, func(t *testing.T) {
			pongs := f.pongs.Load()
			cfg := fakeConfig(f.url, mode, 12)
			cfg.WSReader = m.reader
			cfg.WSBatch = time.Millisecond // the flag's default
			cfg.TickRate = 50              // the fake's
			rep, err := run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Clients.Connected != 12 || rep.Clients.Failed != 0 || rep.Clients.OpenAtEnd != 12 {
				t.Fatalf("clients = %+v", rep.Clients)
			}
			if rep.ErrorsN != 0 || len(rep.Closes) != 0 {
				t.Fatalf("errors %v, closes %v", rep.Errors, rep.Closes)
			}
			if rep.Quotes.Snapshots != 12*3 {
				t.Fatalf("snapshots = %d, want 36", rep.Quotes.Snapshots)
			}
			// 12 clients x 3 symbols x 50 ticks/s x 0.6 s = 1080 at most (fewer when
			// the machine is busy and the fake's ticker falls behind).
			if rep.Quotes.Window < 100 || rep.Quotes.Window > 1200 {
				t.Fatalf("window quotes = %d, want about 1080", rep.Quotes.Window)
			}
			if rep.Latency.Count != uint64(rep.Quotes.Window) || rep.Latency.P50 <= 0 || rep.Latency.P50 > 500 {
				t.Fatalf("latency = %+v for %d quotes", rep.Latency, rep.Quotes.Window)
			}
			if mode != modePoll {
				// Every delivery timed against its tick's first receipt; the
				// fake ticks all symbols at once, so a few clients see each first.
				if sp, fl := rep.Spread, rep.FirstLatency; sp == nil || fl == nil || sp.Count != rep.Latency.Count ||
					fl.Count == 0 || fl.Count >= sp.Count || sp.Max > rep.Latency.Max {
					t.Fatalf("spread %+v, first latency %+v, latency %+v", sp, fl, rep.Latency)
				}
			}
			if rep.Bytes.PerQuote < 20 || rep.Bytes.PerQuote > 2000 {
				t.Fatalf("bytes per quote = %v", rep.Bytes.PerQuote)
			}
			if mode == modeWS && f.pongs.Load()-pongs < 12 {
				t.Fatalf("%d pongs, want one or more per client", f.pongs.Load()-pongs)
			}
			if d := rep.Delivery; mode == modePoll && d != nil {
				t.Fatalf("poll reports delivery %+v; polling skips ticks by nature", d)
			} else if mode != modePoll {
				// The fake's ticks are regular: seq says every one arrived.
				if d == nil || d.Delivered != rep.Quotes.Window || d.SeqGaps != 0 || d.SeqMissing != 0 || d.SeqBackwards != 0 ||
					d.Dropped != 0 || d.DeliveredSeqPct != 100 || d.Subscriptions != 12*3 || d.TickRate != 50 {
					t.Fatalf("delivery = %+v", d)
				}
				// 36 subscriptions x 50 ticks/s x the window.
				if want := 36 * 50 * rep.WindowS; d.Expected != want || d.DeliveredPct <= 0 {
					t.Fatalf("expected = %v, want %v (pct %v)", d.Expected, want, d.DeliveredPct)
				}
				// The server's seqs bound what it offered: every tick of the
				// window, to each of the 36 subscriptions, all delivered.
				if d.OfferedNA != "" || d.Offered == 0 || d.Offered%36 != 0 || d.OfferedDelivered != d.Offered || d.DeliveredOfferedPct != 100 {
					t.Fatalf("offered = %d, delivered of it %d (%v%%, n/a %q); want all, a multiple of 36",
						d.Offered, d.OfferedDelivered, d.DeliveredOfferedPct, d.OfferedNA)
				}
				if ticks := float64(d.Offered / 36); ticks < 0.5*rep.WindowS*50 || ticks > 1.2*rep.WindowS*50 {
					t.Fatalf("%v ticks per subscription offered in %.2fs, want about 50/s", ticks, rep.WindowS)
				}
				if d.ServerConflated == nil || *d.ServerConflated != 7 {
					t.Fatalf("server conflated = %v, want 7 (the fake's counter between two scrapes)", d.ServerConflated)
				}
			}
			if mode == modePoll {
				if rep.HTTP == nil || rep.HTTP.Requests == 0 || rep.Staleness == nil || rep.Staleness.Count != uint64(rep.HTTP.Requests) {
					t.Fatalf("poll http = %+v staleness = %+v", rep.HTTP, rep.Staleness)
				}
			}
		})
	}
}

// TestRunReportsSeqGaps: ticks a server skips show up as seq gaps, and
// those it announces with "dropped" as announced.
func TestRunReportsSeqGaps(t *testing.T) {
	f := startFake(t, 10*time.Millisecond, 0)
	f.gapEvery.Store(4)
	cfg := fakeConfig(f.url, modeWS, 4)
	rep, err := run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	d := rep.Delivery
	if d == nil || d.SeqGaps == 0 || d.SeqMissing != d.SeqGaps || d.Dropped != d.SeqMissing || d.Unannounced != 0 || d.SeqBackwards != 0 {
		t.Fatalf("delivery = %+v, want gaps of one tick each, all announced", d)
	}
	// One tick in four is skipped: about 75 % of the ticks arrive.
	if d.DeliveredSeqPct < 70 || d.DeliveredSeqPct > 80 || d.Delivered != rep.Quotes.Window {
		t.Fatalf("delivered by seq = %.1f%% (%d delivered, %d missing), want about 75%%", d.DeliveredSeqPct, d.Delivered, d.SeqMissing)
	}
	if d.DeliveredOfferedPct < 70 || d.DeliveredOfferedPct > 80 {
		t.Fatalf("delivered / offered = %.1f%% (%d of %d), want about 75%%", d.DeliveredOfferedPct, d.OfferedDelivered, d.Offered)
	}
}

// TestRunReportsUndeliveredTail: ticks a server produces but never sends,
// with no later tick to reveal a gap in seq, are missing from delivered /
// offered, which the seq figures cannot show.
func TestRunReportsUndeliveredTail(t *testing.T) {
	f := startFake(t, 10*time.Millisecond, 0)
	cfg := fakeConfig(f.url, modeWS, 4)
	cfg.Progress = muteAt{f, "measuring"}
	rep, err := run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	d := rep.Delivery
	if d == nil || d.SeqGaps != 0 || d.Offered < 4*3*30 || d.DeliveredOfferedPct > 20 {
		t.Fatalf("delivery = %+v; want ticks offered but few delivered, and no seq gap", d)
	}
}

// muteAt mutes the fake's streams once a progress line contains text.
type muteAt struct {
	f    *fakeServer
	text string
}

func (m muteAt) Write(p []byte) (int, error) {
	if strings.Contains(string(p), m.text) {
		m.f.mute.Store(true)
	}
	return len(p), nil
}

// TestRunCountsServerCloses proves that a close from the server is reported
// by code and as an error.
func TestRunCountsServerCloses(t *testing.T) {
	noLeaks(t)
	f := startFake(t, 20*time.Millisecond, 1008)
	for _, reader := range []string{wsReaderEpoll, wsReaderGoroutine} {
		cfg := fakeConfig(f.url, modeWS, 5)
		cfg.WSReader = reader
		rep, err := run(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Closes[1008] != 5 || rep.Errors["close_1008"] != 5 || rep.ErrorsN != 5 || rep.Clients.OpenAtEnd != 0 {
			t.Fatalf("%s: closes %v errors %v clients %+v", reader, rep.Closes, rep.Errors, rep.Clients)
		}
	}
}

func TestRunRefusesRemoteAndBadConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		mut  func(*Config)
	}{
		{"remote host", func(c *Config) { c.URL = "http://10.0.0.1:8080" }},
		{"no port", func(c *Config) { c.URL = "http://127.0.0.1" }},
		{"unknown mode", func(c *Config) { c.Mode = "grpc" }},
		{"no clients", func(c *Config) { c.Clients = 0 }},
		{"idle poll", func(c *Config) { c.Mode = modePoll; c.Symbols = 0 }},
		{"unknown ws reader", func(c *Config) { c.WSReader = "io_uring" }},
		{"negative ws batch", func(c *Config) { c.WSBatch = -time.Millisecond }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := fakeConfig("http://127.0.0.1:1", modeWS, 1)
			tc.mut(&cfg)
			if _, err := run(context.Background(), cfg); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func TestMainWritesTableAndJSON(t *testing.T) {
	f := startFake(t, 20*time.Millisecond, 0)
	path := filepath.Join(t.TempDir(), "r.json")
	var out, errOut strings.Builder
	err := mainErr(context.Background(), []string{"-url", f.url, "-mode", "ws", "-clients", "3", "-symbols", "2",
		"-ramp", "0", "-duration", "300ms", "-json", path, "-quiet"}, &out, &errOut)
	if err != nil {
		t.Fatalf("%v; stderr: %s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "latency ms") || !strings.Contains(out.String(), "expected (") || !strings.Contains(out.String(), "offered (") || errOut.Len() != 0 {
		t.Fatalf("stdout %q stderr %q", out.String(), errOut.String())
	}
	data, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(data), `"latency_ms"`) || !strings.Contains(string(data), `"delivered_seq_pct": 100`) || !strings.Contains(string(data), `"delivered_offered_pct": 100`) || !strings.Contains(string(data), `"us_per_frame"`) || strings.Contains(string(data), "tickload-pass") {
		t.Fatalf("json report: %v\n%s", err, data)
	}
}

// noLeaks fails the test if goroutines started during it outlive it; it runs
// after the test's other cleanups (the fake server's shutdown).
func noLeaks(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
}

// TestValidateURL: loopback servers by default; another host only with
// -allow-remote, which also stops the loopback source-address spread.
func TestValidateURL(t *testing.T) {
	tests := []struct {
		url       string
		remote    bool
		wantErr   bool
		sourceIPs int
	}{
		{"http://127.0.0.1:8080", false, false, 253},
		{"http://localhost:8080", false, false, 253},
		{"http://10.1.2.3:8080", false, true, 253},
		{"http://tickerd.example:8080", false, true, 253},
		{"http://10.1.2.3:8080", true, false, 0},
		{"http://tickerd.example:8080", true, false, 0},
		{"http://127.0.0.1:8080", true, false, 253},
		{"ftp://127.0.0.1:8080", true, true, 253},
	}
	for _, tt := range tests {
		cfg := Config{URL: tt.url, AllowRemote: tt.remote, Mode: modeWS, Clients: 1, Symbols: 1,
			Duration: time.Second, PerAccount: 1, SourceIPs: 253}
		_, err := cfg.validate()
		if (err != nil) != tt.wantErr {
			t.Errorf("%s (allow-remote %v): err %v, want error %v", tt.url, tt.remote, err, tt.wantErr)
			continue
		}
		if err == nil && cfg.SourceIPs != tt.sourceIPs {
			t.Errorf("%s (allow-remote %v): source IPs %d, want %d", tt.url, tt.remote, cfg.SourceIPs, tt.sourceIPs)
		}
	}
}
