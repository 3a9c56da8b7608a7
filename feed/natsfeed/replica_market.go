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

// Quote returns the latest quote of a symbol.
func (r *Replica) Quote(ticker string) (feed.Quote, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	i, ok := r.index[ticker]
	if !ok {
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

// Candles is never answered by an edge: the core serves candles.
func (r *Replica) Candles(string, time.Time, time.Time) ([]feed.Candle, bool) { return nil, false }

// Running reports whether quotes are flowing.
func (r *Replica) Running() bool { return r.up.Load() }

// Ticks returns the ticks received from the core.
func (r *Replica) Ticks() uint64 { return r.received.Load() }

// Ready returns why the feed is not flowing, or nil.
func (r *Replica) Ready(context.Context) error {
	if r.up.Load() {
		return nil
	}
	return errors.New(*r.reason.Load())
}
