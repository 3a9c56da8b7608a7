package stream

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/tickerd/tickerd/feed"
	"github.com/tickerd/tickerd/portfolio"
)

// stream is the transport-independent state of one WebSocket or SSE
// connection: its subscriber, session, replies waiting for the writer and
// pending close request.
type stream struct {
	transport transport
	ip        string
	sub       *feed.Subscriber

	portfolio     atomic.Bool  // the client subscribed to the portfolio channel
	alerts        atomic.Bool  // the client subscribed to the alerts channel; changed under replyMu
	holdingsStale atomic.Bool  // a trade filled since the writer last read the holdings
	symbols       atomic.Int32 // symbols subscribed, read by Stats

	sess       atomic.Pointer[portfolio.Session] // set once authenticated
	closeAsked atomic.Bool                       // a close was requested: the writer's per-pass check
	ipCounted  bool                              // guarded by the registry's mu
	endCode    int                               // how the writer ended the stream; read by leave

	mu          sync.Mutex
	closeCode   int // non-zero once a close was requested; -1 means end without a close frame
	closeReason string

	// replyMu orders a reply before the quotes it announces: the reader
	// queues replies and changes subscriptions under it, the writer takes
	// both under it.
	replyMu sync.Mutex
	replies []*[]byte // frames queued for the writer, each behind frameHeadroom

	alertMsgs []*[]byte // fired alerts queued for the writer (AlertFired), guarded by replyMu
	quotes    []string  // the symbols subscribed, for a resubscription (FeedUp); guarded by replyMu
	every     time.Duration

	// feedStatus is a feed frame for the writer to send (FeedStopped,
	// FeedResumed); the latest wins.
	feedStatus atomic.Pointer[[]byte]
}

// session returns the stream's session once authenticated.
func (st *stream) session() (portfolio.Session, bool) {
	if p := st.sess.Load(); p != nil {
		return *p, true
	}
	return portfolio.Session{}, false
}

// requestClose asks the stream's writer to close with code and reason; the
// first request wins. code -1 ends the stream without a close frame.
func (st *stream) requestClose(code int, reason string) {
	st.mu.Lock()
	if st.closeCode == 0 {
		st.closeCode, st.closeReason = code, reason
		st.closeAsked.Store(true)
	}
	st.mu.Unlock()
	st.sub.Wake()
}

// closeRequested returns the pending close request, if any.
func (st *stream) closeRequested() (code int, reason string, ok bool) {
	if !st.closeAsked.Load() {
		return 0, "", false
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.closeCode, st.closeReason, st.closeCode != 0
}
