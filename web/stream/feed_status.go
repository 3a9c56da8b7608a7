package stream

import (
	"time"

	"github.com/tickerd/tickerd/web/wire"
)

// States of a feed frame.
const (
	FeedDown = "down" // quotes stopped: the node lost its price source
	FeedUp   = "up"   // quotes flow again; fresh snapshots follow
)

// setQuotesLocked records the stream's quote set for a later
// resubscription; st.replyMu is held.
func (st *stream) setQuotesLocked(symbols map[string]struct{}, every time.Duration) {
	st.quotes = st.quotes[:0]
	for sym := range symbols {
		st.quotes = append(st.quotes, sym)
	}
	st.every = every
}

// FeedStopped tells every open stream that quotes stopped, with a feed
// frame {"type":"feed","state":"down","message":...}. The streams stay
// open.
func (r *Registry) FeedStopped(message string) {
	frame := appendFeedState(make([]byte, frameHeadroom, 128), FeedDown, message)
	r.each(func(*stream) bool { return true }, func(st *stream) {
		st.feedStatus.Store(&frame)
		st.sub.Wake()
	})
}

// FeedResumed tells every open stream that quotes flow again, with a
// feed frame {"type":"feed","state":"up",...}, then sends a fresh
// snapshot ("snapshot":true) of each symbol it subscribes and, on the
// portfolio channel, a valuation from freshly read holdings (a fill may
// have gone unannounced meanwhile), so a client needs no reconnect to
// catch up. The hub must already hold the latest quotes.
func (r *Registry) FeedResumed(message string) {
	frame := appendFeedState(make([]byte, frameHeadroom, 128), FeedUp, message)
	r.each(func(*stream) bool { return true }, func(st *stream) {
		st.replyMu.Lock()
		st.feedStatus.Store(&frame)
		if len(st.quotes) > 0 {
			syms := append([]string(nil), st.quotes...)
			st.sub.Unsubscribe(syms)
			st.sub.Subscribe(syms, st.every, r.deps.Market.Quote)
		}
		st.replyMu.Unlock()
		if st.portfolio.Load() {
			st.holdingsStale.Store(true)
			st.sub.MarkDirty()
		}
		st.sub.Wake()
	})
}

// appendFeedState: {"type":"feed","state":...,"message":...}.
func appendFeedState(dst []byte, state, message string) []byte {
	dst = appendFrameStart(dst, "feed", nil)
	dst = append(dst, `,"state":`...)
	dst = wire.AppendString(dst, state)
	dst = append(dst, `,"message":`...)
	dst = wire.AppendString(dst, message)
	return append(dst, '}')
}
