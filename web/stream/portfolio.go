package stream

import (
	"context"
	"fmt"
	"math/rand/v2"
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

	// After a valuation failed, the next attempt waits until retryAt
	// (backoff, see retryDelay); failures counts the failed attempts since
	// the last valuation that succeeded.
	failures int
	retryAt  time.Time
}

// Retries of a failed valuation back off from about a second to about
// half a minute.
const (
	portfolioRetryMin = time.Second
	portfolioRetryMax = 30 * time.Second
)

// retryDelay is the wait after the nth failure in a row: doubling from
// portfolioRetryMin up to portfolioRetryMax, drawn uniformly from its upper
// half, so that the streams of an edge whose core was too busy to answer
// them do not all ask again at the same moment.
func retryDelay(n int) time.Duration {
	d := min(portfolioRetryMin<<min(n-1, 6), portfolioRetryMax)
	return d/2 + rand.N(d/2+1)
}

// pushPortfolio writes the account's valuation when one is owed and the
// throttle allows it. When it cannot be computed (the store, or an edge's
// core, failed), the client gets one internal error message and the
// valuation is retried with backoff until it succeeds; not on every pass,
// which under load would ask a struggling store again for every frame.
// dirty reports a watched tick or a trade since the last pass. It returns
// how long a throttled or backed-off valuation must wait, and whether a
// message was written.
func (w *writer) pushPortfolio(now time.Time, dirty bool) (time.Duration, bool, error) {
	p := &w.portfolio
	if !w.st.portfolio.Load() {
		p.due = false
		p.loaded = false // trades while off are not signalled: reread on resubscribe
		p.failures, p.retryAt = 0, time.Time{}
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
	if wait := max(p.last.Add(portfolioInterval).Sub(now), p.retryAt.Sub(now)); wait > 0 {
		return wait, false, nil
	}
	b := w.reg.frames.getFrame()
	defer w.reg.frames.put(b)
	v, err := w.value(now)
	if err != nil {
		p.failures++
		p.retryAt = now.Add(retryDelay(p.failures))
		if p.failures > 1 { // the client was told at the first failure
			w.reg.log.Debug("portfolio push failed again", "err", err, "failures", p.failures)
			return p.retryAt.Sub(now), false, nil
		}
		w.reg.log.Error("portfolio push failed", "err", err)
		*b = appendError(*b, nil, CodeInternal, portfolioFailureText)
		return p.retryAt.Sub(now), true, w.f.message(eventError, *b)
	}
	p.failures, p.retryAt = 0, time.Time{}
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
