package web

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/tickerd/tickerd/feed"
	"github.com/tickerd/tickerd/portfolio"
)

// framePool recycles the buffers frames are built in. Idle connections
// hold none.
type framePool struct{ p sync.Pool }

// maxPooledFrame keeps a rare huge frame from pinning memory in the pool.
const maxPooledFrame = 64 << 10

func (fp *framePool) get() *[]byte {
	if v := fp.p.Get(); v != nil {
		b := v.(*[]byte)
		*b = (*b)[:0]
		return b
	}
	b := make([]byte, 0, 1024)
	return &b
}

func (fp *framePool) put(b *[]byte) {
	if cap(*b) <= maxPooledFrame {
		fp.p.Put(b)
	}
}

// streamOut is the writer-side state shared by the WebSocket and SSE
// transports: it turns the subscriber's pending work into payloads. It is
// used by the stream's single writer goroutine only.
type streamOut struct {
	st            *stream
	lastPortfolio time.Time
	portfolioDue  bool     // a valuation is owed to the client
	watching      []string // the subscriber's watch set (held symbols), sorted

	// The account's cash and positions, read from the store when the
	// channel starts and after each fill (stream.holdingsStale); a tick
	// only revalues them at the market's prices, without a query.
	holdingsLoaded bool
	cash           int64
	positions      []portfolio.Position
}

// takeQuotes appends prefix, every pending quote and suffix to dst. It
// returns dst unchanged when no quote is pending.
func (o *streamOut) takeQuotes(dst []byte, prefix, suffix string) ([]byte, feed.Batch) {
	n := len(dst)
	dst = append(dst, prefix...)
	dst, b := o.st.sub.Take(dst)
	if b.Quotes == 0 {
		return dst[:n], b
	}
	return append(dst, suffix...), b
}

// portfolio returns the account's valuation JSON when one is owed and the
// throttle allows it; otherwise nil and, if one is owed, how long to wait.
// dirty reports a watched tick or a trade since the last call.
func (o *streamOut) portfolio(ctx context.Context, dirty bool, now time.Time) ([]byte, time.Duration, error) {
	if !o.st.portfolio.Load() {
		o.portfolioDue = false
		o.holdingsLoaded = false // trades while off are not signalled: reread on resubscribe
		if o.watching != nil {
			o.st.sub.SetWatch(nil)
			o.watching = nil
		}
		return nil, 0, nil
	}
	if dirty {
		o.portfolioDue = true
	}
	if !o.portfolioDue {
		return nil, 0, nil
	}
	if wait := o.lastPortfolio.Add(portfolioInterval).Sub(now); wait > 0 {
		return nil, wait, nil
	}
	srv := o.st.reg.srv
	if stale := o.st.holdingsStale.Swap(false); stale || !o.holdingsLoaded {
		sess, _ := o.st.session()
		ctx, cancel := context.WithTimeout(ctx, storeTimeout)
		defer cancel()
		cash, positions, err := srv.store.Holdings(ctx, sess.AccountID)
		if err != nil {
			o.st.holdingsStale.Store(stale) // try again on the next push
			return nil, 0, fmt.Errorf("value portfolio: %w", err)
		}
		o.cash, o.positions, o.holdingsLoaded = cash, positions, true
	}
	v := portfolio.Value(o.cash, o.positions, srv.market, now.UTC())
	o.lastPortfolio, o.portfolioDue = now, false
	held := make([]string, len(v.Positions))
	for i, p := range v.Positions {
		held[i] = p.Symbol
	}
	slices.Sort(held)
	if !slices.Equal(held, o.watching) || o.watching == nil {
		o.st.sub.SetWatch(held)
		o.watching = held
	}
	out := toPortfolioJSON(v)
	return out.AppendJSON(nil), 0, nil
}
