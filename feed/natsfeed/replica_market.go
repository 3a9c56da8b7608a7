package natsfeed

import (
	"context"
	"errors"
	"time"

	"github.com/tickerd/tickerd/feed"
)

// The read side of a Replica: what the web server and the streams ask of a
// market. An edge keeps no candles (their route is served by the core).

// Symbols returns the universe, by ticker.
func (r *Replica) Symbols() []feed.Symbol {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return append([]feed.Symbol(nil), r.symbols...)
}

// Lookup returns the symbol with the given ticker.
func (r *Replica) Lookup(ticker string) (feed.Symbol, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	i, ok := r.index[ticker]
	if !ok {
		return feed.Symbol{}, false
	}
	return r.symbols[i], true
}

// Quote returns the latest quote of a symbol; false when the replica does
// not hold it (with Interest: before Want, or after the symbol's release).
// While a resync refills it, the quote held before is returned.
func (r *Replica) Quote(ticker string) (feed.Quote, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	i, ok := r.index[ticker]
	if !ok || r.state[i] == symDropped || (r.state[i] == symFilling && r.quotes[i].Seq == 0) {
		return feed.Quote{}, false
	}
	return r.quotes[i], true
}

// LastPrice returns the latest price and previous close in cents
// (portfolio.PriceSource).
func (r *Replica) LastPrice(ticker string) (price, prevClose int64, ok bool) {
	q, ok := r.Quote(ticker)
	return q.Price, q.PrevClose, ok
}

// Now is the wall clock: an edge has no simulated clock of its own.
func (r *Replica) Now() time.Time { return time.Now() }

// SessionDay is the core market's simulated day (portfolio.SessionClock),
// as its last heartbeat (every 500 ms) or the market fetch said, so an
// edge values day changes, today's fills included, as the core does.
func (r *Replica) SessionDay() int64 { return r.sessionDay.Load() }

// AllQuotes returns the latest quote of every symbol, by ticker.
func (r *Replica) AllQuotes() []feed.Quote {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return append([]feed.Quote(nil), r.quotes...)
}

// Halted reports whether the core's market has halted trading in ticker,
// as its latest quote says.
func (r *Replica) Halted(ticker string) bool {
	q, ok := r.Quote(ticker)
	return ok && q.Status == feed.StatusHalted
}

// Speed, TicksPerSecond, Scenario and Upcoming describe the simulation,
// which runs on the core: an edge forwards GET /api/v1/market there, so
// these answer "unknown" (zero, nil).
func (r *Replica) Speed() float64 { return 0 }

// TicksPerSecond: see Speed.
func (r *Replica) TicksPerSecond() float64 { return 0 }

// Scenario: see Speed.
func (r *Replica) Scenario() *feed.Scenario { return nil }

// Upcoming: see Speed.
func (r *Replica) Upcoming() []feed.ScheduledEvent { return nil }

// Candles is never answered by an edge: the core serves candles.
func (r *Replica) Candles(string, time.Time, time.Time) ([]feed.Candle, bool) { return nil, false }

// Running reports whether quotes are flowing.
func (r *Replica) Running() bool { return r.up.Load() }

// Interest returns how many symbols the replica receives by interest.
func (r *Replica) Interest() int { return int(r.in.n.Load()) }

// Ticks returns the ticks received from the core.
func (r *Replica) Ticks() uint64 { return r.received.Load() }

// Ready returns why the feed is not flowing, or nil.
func (r *Replica) Ready(context.Context) error {
	if r.up.Load() {
		return nil
	}
	return errors.New(*r.reason.Load())
}
