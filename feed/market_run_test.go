package feed

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// recordingPublisher keeps a copy of every batch it is given.
type recordingPublisher struct {
	mu      sync.Mutex
	batches [][]Quote
}

func (p *recordingPublisher) Publish(batch []Quote) {
	c := append([]Quote(nil), batch...) // the batch is only valid during the call
	p.mu.Lock()
	p.batches = append(p.batches, c)
	p.mu.Unlock()
}

func (p *recordingPublisher) snapshot() [][]Quote {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([][]Quote(nil), p.batches...)
}

// waitForMarket polls cond until it holds or the deadline passes.
func waitForMarket(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestMarketRun(t *testing.T) {
	defer goleak.VerifyNone(t)

	pub := &recordingPublisher{}
	syms := mustUniverse(t)[:10]
	m, err := NewMarket(MarketConfig{Symbols: syms, Seed: 1, TicksPerSecond: 20, Speed: 2, Publisher: pub})
	if err != nil {
		t.Fatal(err)
	}
	if m.Running() {
		t.Fatal("Running before Run")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runErr := make(chan error, 1)
	before := time.Now().UnixMilli()
	go func() { runErr <- m.Run(ctx) }()

	// Readers hammer the market while it ticks (the race detector watches).
	var readers sync.WaitGroup
	for range 4 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for ctx.Err() == nil {
				for _, s := range syms {
					m.Quote(s.Ticker)
					m.LastPrice(s.Ticker)
				}
				m.Candles("AAPL", time.Time{}, m.Now().Add(time.Minute))
				m.AllQuotes()
				time.Sleep(time.Millisecond)
			}
		}()
	}

	waitForMarket(t, "Running", m.Running)
	waitForMarket(t, "1,000 ticks", func() bool { return m.Ticks() >= 1000 })
	if err := m.Run(ctx); !errors.Is(err, ErrMarketStarted) {
		t.Errorf("second Run = %v, want ErrMarketStarted", err)
	}
	if m.Advance(time.Second) != nil {
		t.Error("Advance produced ticks while Run is in progress")
	}
	cancel()
	select {
	case err := <-runErr:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Run returned %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	readers.Wait()
	if m.Running() {
		t.Error("Running after Run returned")
	}

	after := time.Now().UnixMilli()
	batches := pub.snapshot()
	last := make(map[string]Quote)
	total := 0
	for _, b := range batches {
		if len(b) == 0 {
			t.Fatal("empty batch published")
		}
		for _, q := range b {
			total++
			if q.Seq != last[q.Symbol].Seq+1 {
				t.Fatalf("%s: seq %d after %d", q.Symbol, q.Seq, last[q.Symbol].Seq)
			}
			if q.TS < before || q.TS > after || q.TS < last[q.Symbol].TS {
				t.Fatalf("%s: ts %d outside [%d, %d] or going back", q.Symbol, q.TS, before, after)
			}
			last[q.Symbol] = q
		}
	}
	if uint64(total) != m.Ticks() {
		t.Errorf("published %d ticks, Ticks() = %d", total, m.Ticks())
	}
	if len(batches) >= total {
		t.Errorf("%d batches for %d ticks: no batching", len(batches), total)
	}
	for tk, q := range last {
		if got, _ := m.Quote(tk); got != q {
			t.Errorf("Quote(%s) = %+v, last published %+v", tk, got, q)
		}
	}
	if !m.Now().After(marketStartOf(m)) {
		t.Error("simulated clock did not move")
	}
}

// marketStartOf returns the simulated clock's reading at NewMarket.
func marketStartOf(m *Market) time.Time { return time.Unix(0, m.startNS) }

// TestMarketRunKeepsTimeWhenTicksAreRare: with ticks far apart the loop
// sleeps up to maxSleep at a time, and the simulated clock must still keep
// pace with the wall clock (it once advanced only maxStall per sleep, so
// slow markets ticked at a fraction of their rate).
func TestMarketRunKeepsTimeWhenTicksAreRare(t *testing.T) {
	defer goleak.VerifyNone(t)

	m, err := NewMarket(MarketConfig{Symbols: mustUniverse(t)[:2], Seed: 1, TicksPerSecond: 0.001})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	start := m.Now()
	go func() { runErr <- m.Run(ctx) }()
	time.Sleep(2500 * time.Millisecond) // two full maxSleep sleeps
	sim := m.Now().Sub(start)
	cancel()
	if err := <-runErr; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v", err)
	}
	if sim < 1800*time.Millisecond {
		t.Errorf("simulated clock advanced %v in 2.5 s of real time, want about 2 s", sim)
	}
}

func TestMarketRunStopsAtOnceWhenCancelled(t *testing.T) {
	defer goleak.VerifyNone(t)
	m := mustMarket(t, MarketConfig{Seed: 1})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := m.Run(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	if m.Running() || m.Ticks() != 0 {
		t.Errorf("Running %v, %d ticks after a cancelled Run", m.Running(), m.Ticks())
	}
}

// stallingPublisher blocks Run on its first batch of ticks for stall, as
// a busy machine or a slow fan-out would.
type stallingPublisher struct {
	stall time.Duration
	once  sync.Once
}

func (p *stallingPublisher) Publish([]Quote) { p.once.Do(func() { time.Sleep(p.stall) }) }

// runStalled runs a market of 10 symbols at 200 ticks/s each whose first
// publish stalls 600 ms, for about a second, and returns it with the real
// time it ran and its simulated start.
func runStalled(t *testing.T, maxStall time.Duration) (m *Market, real time.Duration, start time.Time) {
	t.Helper()
	start = time.Now()
	m, err := NewMarket(MarketConfig{Symbols: mustUniverse(t)[:10], Seed: 1, TicksPerSecond: 200, Start: start,
		Publisher: &stallingPublisher{stall: 600 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	m.maxStall = maxStall
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := m.Run(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Run = %v", err)
	}
	return m, time.Since(start), start
}

// TestMarketRunCatchesUpAStall: a step delayed by 600 ms still yields the
// ticks of the whole interval, so a busy machine does not slow the market.
func TestMarketRunCatchesUpAStall(t *testing.T) {
	defer goleak.VerifyNone(t)
	m, real, start := runStalled(t, maxStall)
	// Up to 250 ms between Run's last step and the end of the test on a
	// busy machine; a stall not caught up loses more than the 350 ms above
	// the old 250 ms bound.
	played := m.Now().Sub(start)
	if played < real-250*time.Millisecond || m.ClockLag() != 0 {
		t.Fatalf("simulated clock played %s of %s real (lag %s); want all of it", played, real, m.ClockLag())
	}
	// 2,000 ticks per simulated second, Poisson noise aside.
	if want := 2000 * played.Seconds(); float64(m.Ticks()) < 0.85*want {
		t.Fatalf("%d ticks in %s played, want about %.0f", m.Ticks(), played, want)
	}
}

// TestMarketRunCountsClockLag: a stall beyond what a step catches up is
// counted as lost simulated time.
func TestMarketRunCountsClockLag(t *testing.T) {
	defer goleak.VerifyNone(t)
	m, real, start := runStalled(t, 100*time.Millisecond)
	lag := m.ClockLag()
	if lag < 400*time.Millisecond || lag > 600*time.Millisecond {
		t.Fatalf("clock lag %s after a 600 ms stall caught up to 100 ms, want about 500 ms", lag)
	}
	if played := m.Now().Sub(start); played+lag > real {
		t.Fatalf("played %s + lag %s exceeds %s real", played, lag, real)
	}
}
