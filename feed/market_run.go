package feed

import (
	"context"
	"time"
)

const (
	// minBatchWindow is the shortest real-time sleep between two steps, so
	// that many ticks per second are published in batches rather than each
	// costing a wake-up.
	minBatchWindow = time.Millisecond
	// maxSleep bounds a sleep so the simulated clock (Now) keeps moving
	// even when ticks are rare.
	maxSleep = time.Second
	// maxStall bounds how much real time beyond its planned sleep one step
	// may catch up after the process was stalled (busy, starved,
	// suspended). A busy machine stalls a step by tens or hundreds of
	// milliseconds; catching that up keeps the market at its tick rate, and
	// the hub's per-subscriber slots already bound what the burst costs a
	// client. Only a longer stall (a suspended process) is not caught up:
	// the simulated clock falls behind instead, and ClockLag counts it.
	maxStall = 5 * time.Second
)

// Run produces ticks until ctx is done. It returns ctx.Err(), or
// ErrMarketStarted if Run was called before. One goroutine does all the work:
// it sleeps until the next tick is due (at least a millisecond, so ticks
// close together share a wake-up), applies every due tick in simulated-time
// order and hands them to the Publisher as one batch. Each tick's TS is the
// wall-clock time of that publish, so end-to-end latency can be measured
// from it.
func (m *Market) Run(ctx context.Context) error {
	if !m.started.CompareAndSwap(false, true) {
		return ErrMarketStarted
	}
	m.running.Store(true)
	defer m.running.Store(false)

	timer := time.NewTimer(maxSleep)
	defer timer.Stop()
	var batch []Quote
	var sleep time.Duration // the last planned sleep
	last := time.Now()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		now := time.Now()
		elapsed := min(now.Sub(last), sleep+m.maxStall)
		if lost := now.Sub(last) - elapsed; lost > 0 {
			m.lagNS.Add(int64(float64(lost) * m.speed))
		}
		last = now

		var wait time.Duration
		batch, wait = m.step(time.Duration(float64(elapsed)*m.speed), now.UnixMilli(), batch[:0])
		if len(batch) > 0 && m.pub != nil {
			m.pub.Publish(batch)
		}
		clear(batch) // drop symbol strings so the buffer pins nothing

		sleep = min(max(wait, minBatchWindow), maxSleep)
		timer.Reset(sleep)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
		}
	}
}

// ClockLag returns the simulated time Run has not played because the
// process was stalled beyond what one step catches up (5 s, see maxStall):
// time in which the market produced no ticks it should have.
func (m *Market) ClockLag() time.Duration { return time.Duration(m.lagNS.Load()) }

// Running reports whether Run is producing ticks (for readiness checks).
func (m *Market) Running() bool { return m.running.Load() }

// Advance steps the simulation by d of simulated time at once, without
// sleeping, and returns every quote it produced in order: ticks and, with a
// scenario, status changes (TS is the current wall-clock time). It
// publishes nothing. It is meant for tests and tools: with the same seed,
// universe and scenario, two markets advanced by the same total produce the
// same quotes, however the total is cut into steps. It returns nil, doing nothing, while Run is in
// progress.
func (m *Market) Advance(d time.Duration) []Quote {
	if m.running.Load() || d <= 0 {
		return nil
	}
	out, _ := m.step(d, time.Now().UnixMilli(), nil)
	return out
}

// step advances the simulated clock by d, applies every tick and status
// change due by then and appends their quotes to batch. It returns the batch and the real time until the
// next tick is due.
func (m *Market) step(d time.Duration, wallMS int64, batch []Quote) ([]Quote, time.Duration) {
	m.simMu.Lock()
	defer m.simMu.Unlock()
	s := m.sim
	until := s.now + d
	var ticks uint64
	for {
		tk, ok := s.next(until)
		if !ok {
			break
		}
		if !tk.change {
			ticks++
		}
		batch = append(batch, m.apply(tk, wallMS))
	}
	m.ticks.Add(ticks)
	m.simNowNS.Store(m.startNS + int64(s.now))
	return batch, time.Duration(float64(s.nextAt()-s.now) / m.speed)
}

// apply records a tick in its symbol's tape: the quote (rolling the
// session over on a new simulated UTC day) and the minute candle; or a
// status change, which only sets the quote's status (and seq and ts).
func (m *Market) apply(tk simTick, wallMS int64) Quote {
	simMS := (m.startNS + int64(tk.at)) / int64(time.Millisecond)
	day := unixDay(simMS)
	t := &m.tapes[tk.sym]
	t.mu.Lock()
	q := &t.quote
	if tk.change {
		// A halt or a reopening: a new quote of the same prices, so
		// subscribers learn of it without waiting for a tick.
		q.Status = tk.status
		q.TS = wallMS
		q.Seq++
		out := *q
		t.mu.Unlock()
		return out
	}
	q.Status = StatusTrading
	if day != t.day {
		t.day = day
		q.PrevClose = q.Price
		q.Open, q.High, q.Low, q.Volume = tk.price, tk.price, tk.price, 0
	}
	q.Price = tk.price
	q.High = max(q.High, tk.price)
	q.Low = min(q.Low, tk.price)
	q.Volume += tk.volume
	q.TS = wallMS
	q.Seq++
	t.candles.add(simMS, tk.price, tk.volume)
	out := *q
	t.mu.Unlock()
	return out
}
