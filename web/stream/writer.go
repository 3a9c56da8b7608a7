package stream

import (
	"errors"
	"time"

	"github.com/tickerd/tickerd/feed"
)

// framer writes one transport's frames. Only the connection's writer calls
// it, one pass at a time; everything else about writing is the writer's.
type framer interface {
	// message writes one message whose JSON is b[frameHeadroom:]: a text
	// frame (WebSocket) or an event of the given name (SSE).
	message(event string, b []byte) error
	// control writes what the transport itself owes the client (a pong).
	control() error
	// heartbeat writes a ping (WebSocket) or a keep-alive comment (SSE).
	// It returns errSilent instead when the client has not been heard from
	// for too long.
	heartbeat(now time.Time) error
	// flush pushes what was written to the socket.
	flush() error
	// close ends the stream with code and reason; -1 ends it without a
	// close frame (the client is gone or asked for nothing).
	close(code int, reason string)
	// abort ends the stream after a failed write.
	abort()
}

// errSilent is a framer's heartbeat answer for a client that stopped
// answering pings.
var errSilent = errors.New("client silent")

// errStalled is a framer's answer when a write failed because the client's
// socket accepted nothing for the slow-client window.
var errStalled = errors.New("client took no data for the slow-client window")

// writer is the transport-neutral half of a connection's writer: in one
// pass it decides what to write, in which order, why to close and when to
// wake next, and has its framer write it. One pass does the duties in
// this order: a requested close; queued replies and transport control
// frames; the lagging check; the pending quotes; a portfolio valuation;
// the heartbeat; the session's expiry.
type writer struct {
	reg *Registry
	st  *stream
	f   framer
	// quietHeartbeat sends the heartbeat only after a heartbeat period in
	// which nothing else was written (SSE keep-alives); otherwise it is
	// periodic (WebSocket pings, which also measure the client's liveness).
	quietHeartbeat bool
	nextBeat       time.Time
	portfolio      portfolioState
}

func newWriter(reg *Registry, st *stream, f framer, quiet bool, now time.Time) *writer {
	return &writer{reg: reg, st: st, f: f, quietHeartbeat: quiet, nextBeat: now.Add(reg.cfg.Heartbeat)}
}

// pass writes everything due at now and returns when to pass again if
// nothing signals sooner; false means the stream is finished.
func (w *writer) pass(now time.Time) (time.Time, bool) {
	if code, reason, ok := w.st.closeRequested(); ok {
		if code != CloseTooSlow {
			_ = w.writeReplies(w.takeReplies()) // best effort: e.g. the rate_limited errors before a 1008
		}
		return w.end(code, reason)
	}
	batch, err := w.writeQueued()
	if err != nil {
		return w.failed(err)
	}
	if batch.Lagging {
		return w.end(CloseTooSlow, "client too slow")
	}
	wrote := batch.Quotes > 0
	wait, pushed, err := w.pushPortfolio(now, batch.Dirty)
	if err != nil {
		return w.failed(err)
	}
	if (wrote || pushed) && w.quietHeartbeat {
		w.nextBeat = now.Add(w.reg.cfg.Heartbeat)
	}
	if !now.Before(w.nextBeat) {
		if err := w.f.heartbeat(now); errors.Is(err, errSilent) {
			return w.end(CloseHeartbeatTimeout, "heartbeat timeout")
		} else if err != nil {
			return w.failed(err)
		}
		w.nextBeat = now.Add(w.reg.cfg.Heartbeat)
	}
	if err := w.f.flush(); err != nil {
		return w.failed(err)
	}
	return w.wake(now, batch.Wait, wait)
}

// quick is the pass of a writer that a Publish found idle, run where it
// cannot wait (see wsConn.onPublish): it writes the replies, alerts and
// control frames queued and the pending quotes, as pass does, and reports
// whether that was all the pass had to do. When more could be due (a
// close, the portfolio channel, the heartbeat, the session's expiry, a
// lagging client) it returns false without writing anything; when the
// quotes it took call for more (held back by max_rate_ms, a dirty
// portfolio, lagging) it returns false after writing them. Either way the
// transport's writer goroutine then passes.
func (w *writer) quick(now time.Time) bool {
	if w.st.closeAsked.Load() || w.st.portfolio.Load() || w.portfolio.watching != nil ||
		!now.Before(w.nextBeat) || w.st.sub.Lagging() {
		return false
	}
	if sess, ok := w.st.session(); ok && !now.Before(sess.ExpiresAt) {
		return false
	}
	batch, err := w.writeQueued()
	if err != nil {
		return false
	}
	if batch.Dirty {
		w.portfolio.due = true // not lost if the channel started meanwhile
	}
	return !batch.Lagging && !batch.Dirty && batch.Wait == 0
}

// writeQueued takes what is queued and writes it: the replies, fired
// alerts and transport control frames, then the pending quotes as one
// quotes message (none when the client is lagging: Take then returns no
// quotes). It returns what Take said.
func (w *writer) writeQueued() (feed.Batch, error) {
	frame := w.reg.frames.getFrame()
	defer w.reg.frames.put(frame)
	replies, alerts, batch := w.take(frame)
	if err := w.writeControl(replies, alerts); err != nil {
		return batch, err
	}
	if batch.Quotes == 0 {
		return batch, nil
	}
	return batch, w.f.message(eventQuotes, *frame)
}

// take takes the queued replies and alerts and, into frame, the pending
// quotes as one quotes message. They are taken together, so a subscribe's
// reply is written before the snapshots it made pending.
func (w *writer) take(frame *[]byte) (replies, alerts []*[]byte, batch feed.Batch) {
	w.st.replyMu.Lock()
	replies, alerts = w.st.replies, w.st.alertMsgs
	w.st.replies, w.st.alertMsgs = nil, nil
	quotes, batch := w.st.sub.Take(append(*frame, quotesPrefix...))
	w.st.replyMu.Unlock()
	if batch.Quotes > 0 {
		quotes = append(quotes, quotesSuffix...)
	}
	*frame = quotes
	return replies, alerts, batch
}

// writeControl writes what goes before the quotes: the replies, fired
// alerts, the transport's own control frames and a feed status change.
func (w *writer) writeControl(replies, alerts []*[]byte) error {
	if err := w.writeReplies(replies); err != nil {
		return err
	}
	if err := w.writeAlerts(alerts); err != nil {
		return err
	}
	if err := w.f.control(); err != nil {
		return err
	}
	if status := w.st.feedStatus.Swap(nil); status != nil {
		return w.f.message(eventFeed, *status)
	}
	return nil
}

// wake returns the earliest timed duty: the heartbeat, quotes held back by
// max_rate_ms, a throttled valuation, or the session's expiry (which ends
// the stream if it has come).
func (w *writer) wake(now time.Time, waits ...time.Duration) (time.Time, bool) {
	wake := w.nextBeat
	for _, d := range waits {
		if t := now.Add(d); d > 0 && t.Before(wake) {
			wake = t
		}
	}
	if sess, ok := w.st.session(); ok {
		if !now.Before(sess.ExpiresAt) {
			return w.end(CloseUnauthorized, "session expired")
		}
		if sess.ExpiresAt.Before(wake) {
			wake = sess.ExpiresAt
		}
	}
	return wake, true
}

// takeReplies takes the queued replies.
func (w *writer) takeReplies() []*[]byte {
	w.st.replyMu.Lock()
	defer w.st.replyMu.Unlock()
	r := w.st.replies
	w.st.replies = nil
	return r
}

// writeReplies writes replies in order and recycles them; after a failed
// write the rest are dropped.
func (w *writer) writeReplies(replies []*[]byte) error {
	var err error
	for _, r := range replies {
		if err == nil {
			err = w.f.message(eventReply, *r)
		}
		w.reg.frames.put(r)
	}
	return err
}

// end closes the stream with code (-1: without a close frame) and
// records how it ended for the registry's count.
func (w *writer) end(code int, reason string) (time.Time, bool) {
	w.st.endCode = code
	if code < 0 {
		w.st.endCode = closeAbnormal
	}
	w.f.close(code, reason)
	return time.Time{}, false
}

// failed ends the stream after a write failed: the client is gone (1006),
// or its socket took nothing for the slow-client window (errStalled), which
// ends as too slow (1013) like a client the hub found lagging. No close
// frame is sent then: the socket takes nothing, and after a frame cut short
// the client would read one as the rest of that frame.
func (w *writer) failed(err error) (time.Time, bool) {
	w.st.endCode = closeAbnormal
	if errors.Is(err, errStalled) {
		w.st.endCode = CloseTooSlow
	}
	w.f.abort()
	return time.Time{}, false
}

// queueReply queues a frame built by build for the writer; the caller
// holds st.replyMu. A client that lets replies pile up is closed as too
// slow.
func (reg *Registry) queueReply(st *stream, build func([]byte) []byte) {
	if len(st.replies) >= maxQueuedReplies {
		st.requestClose(CloseTooSlow, "client too slow")
		return
	}
	b := reg.frames.getFrame()
	*b = build(*b)
	st.replies = append(st.replies, b)
}
