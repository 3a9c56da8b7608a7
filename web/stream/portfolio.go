package stream

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/tickerd/tickerd/portfolio"
	"github.com/tickerd/tickerd/web/wire"
)

// portfolioState is the writer's state of the portfolio channel.
type portfolioState struct {
	last     time.Time
	due      bool     // a valuation is owed to the client
	watching []string // the subscriber's watch set (held symbols), sorted

	// The account's cash and positions, read when the channel starts and
	// after each fill (stream.holdingsStale); a tick only revalues them at
	// the market's prices, without a query.
	loaded    bool
	cash      int64
	positions []portfolio.Position
}

// pushPortfolio writes the account's valuation when one is owed and the
// throttle allows it, or an internal error message when it cannot be
// computed (it is retried on the next change). dirty reports a watched
// tick or a trade since the last pass. It returns how long a throttled
// valuation must wait, and whether a message was written.
func (w *writer) pushPortfolio(now time.Time, dirty bool) (time.Duration, bool, error) {
	p := &w.portfolio
	if !w.st.portfolio.Load() {
		p.due = false
		p.loaded = false // trades while off are not signalled: reread on resubscribe
		if p.watching != nil {
			w.st.sub.SetWatch(nil)
			p.watching = nil
		}
		return 0, false, nil
	}
	p.due = p.due || dirty
	if !p.due {
		return 0, false, nil
	}
	if wait := p.last.Add(portfolioInterval).Sub(now); wait > 0 {
		return wait, false, nil
	}
	b := w.reg.frames.getFrame()
	defer w.reg.frames.put(b)
	v, err := w.value(now)
	if err != nil {
		w.reg.log.Error("portfolio push failed", "err", err)
		*b = appendError(*b, nil, CodeInternal, portfolioFailureText)
		return 0, true, w.f.message(eventError, *b)
	}
	p.last, p.due = now, false
	w.watch(v)
	out := wire.FromValuation(v)
	*b = append(out.AppendJSON(append(*b, portfolioPrefix...)), portfolioSuffix...)
	return 0, true, w.f.message(eventPortfolio, *b)
}

// value revalues the holdings at the market's prices, rereading them first
// when a trade filled or the channel just started.
func (w *writer) value(now time.Time) (portfolio.Valuation, error) {
	p := &w.portfolio
	if stale := w.st.holdingsStale.Swap(false); stale || !p.loaded {
		sess, _ := w.st.session()
		ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
		defer cancel()
		cash, positions, err := w.reg.deps.Holdings.Holdings(ctx, sess.AccountID)
		if err != nil {
			w.st.holdingsStale.Store(stale) // try again on the next push
			return portfolio.Valuation{}, fmt.Errorf("value portfolio: %w", err)
		}
		held := make([]string, len(positions))
		for i, pos := range positions {
			held[i] = pos.Symbol
		}
		if err := w.reg.deps.want(held); err != nil {
			w.st.holdingsStale.Store(true)
			return portfolio.Valuation{}, fmt.Errorf("value portfolio: %w", err)
		}
		p.cash, p.positions, p.loaded = cash, positions, true
	}
	return portfolio.Value(p.cash, p.positions, w.reg.deps.Market, w.reg.deps.Market.SessionDay(), now.UTC()), nil
}

// watch makes the held symbols' ticks mark the subscriber dirty, so the
// valuation follows the prices.
func (w *writer) watch(v portfolio.Valuation) {
	held := make([]string, len(v.Positions))
	for i, pos := range v.Positions {
		held[i] = pos.Symbol
	}
	slices.Sort(held)
	if w.portfolio.watching == nil || !slices.Equal(held, w.portfolio.watching) {
		w.st.sub.SetWatch(held)
		w.portfolio.watching = held
	}
}
