package web

import (
	"context"
	"encoding/binary"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/gofiber/contrib/websocket"
)

// Frame envelopes.
const (
	quotesPrefix    = `{"type":"quotes","data":[`
	quotesSuffix    = `]}`
	portfolioPrefix = `{"type":"portfolio","data":`
	portfolioSuffix = `}`
)

// Writer states (wsConn.wstate).
const (
	writerNew       = iota // startWriter has not run yet
	writerNewKicked        // startWriter has not run yet, and a kick came
	writerIdle             // no writer goroutine
	writerRunning          // a writer is flushing
	writerAgain            // a writer is flushing or starting, and must flush once more
	writerDone             // the connection is finished; no writer will start
)

// startWriter arms the heartbeat once the connection is set up; the first
// writer starts now if something was already signalled (a shutdown may ask
// to close a connection that has just registered), else on the first kick.
func (c *wsConn) startWriter() {
	c.nextPing = time.Now().Add(c.lim.heartbeat)
	c.armed = c.nextPing
	c.timer = time.AfterFunc(c.lim.heartbeat, c.onTimer)
	if !c.wstate.CompareAndSwap(writerNew, writerIdle) { // writerNewKicked
		c.wstate.Store(writerAgain)
		go c.writeRun()
	}
}

// kick makes sure a writer flushes after this call: it starts one unless
// one is running, in which case that one flushes again. It never blocks; the
// subscriber calls it (its OnSignal) for quotes, replies and close requests,
// the timer for timed duties.
func (c *wsConn) kick() {
	for {
		switch v := c.wstate.Load(); v {
		case writerNew:
			if c.wstate.CompareAndSwap(v, writerNewKicked) {
				return
			}
		case writerIdle:
			if c.wstate.CompareAndSwap(v, writerAgain) {
				go c.writeRun()
				return
			}
		case writerRunning:
			if c.wstate.CompareAndSwap(v, writerAgain) {
				return
			}
		default: // a flush is already owed, or the connection is finished or not set up
			return
		}
	}
}

// writeRun is the connection's writer while there is work: it flushes until
// no kick arrived during the last flush, arming the timer for the next timed
// duty (heartbeat, rate-limited quotes, portfolio throttle, session expiry).
// The state machine of kick lets only one run at a time.
func (c *wsConn) writeRun() {
	defer func() {
		if v := recover(); v != nil {
			c.srv.log.Error("websocket writer panic", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			_ = c.conn.SetReadDeadline(time.Now()) // end the reader too
			c.finishWriter()
		}
	}()
	for {
		c.wstate.Store(writerRunning)
		if !c.armed.IsZero() && !time.Now().Before(c.armed) {
			c.armed, c.watching = time.Time{}, false // the timer fired, or is about to
		}
		c.sentData = false
		wake, ok := c.flush(&c.nextPing)
		if !ok {
			c.finishWriter()
			return
		}
		// A flush of control frames only (a heartbeat ping, a pong) drops the
		// watch it armed: otherwise an idle connection would wake for nothing
		// a write wait after every ping. Data flushes keep it, as the next
		// one follows soon and would arm it again.
		if c.armed.IsZero() || wake.Before(c.armed) || (c.watching && !c.sentData) {
			c.watching = false
			c.timer.Reset(time.Until(wake))
			c.armed = wake
		}
		if c.wstate.CompareAndSwap(writerRunning, writerIdle) {
			return
		}
	}
}

// finishWriter ends the writing side for good.
func (c *wsConn) finishWriter() {
	c.wstate.Store(writerDone)
	c.timer.Stop()
	close(c.writerDone)
}

// flush writes everything due and returns when to wake next; false means
// the connection is finished (closed, or a write failed).
func (c *wsConn) flush(nextPing *time.Time) (time.Time, bool) {
	now := time.Now()
	if code, reason, ok := c.st.closeRequested(); ok {
		if code != websocket.CloseTryAgainLater {
			c.writeReplies() // e.g. the rate_limited errors before a 1008
		}
		c.writeClose(code, reason)
		return now, false
	}

	frame := c.st.reg.frames.get()
	defer c.st.reg.frames.put(frame)
	c.opMu.Lock()
	replies := c.replies
	c.replies = nil
	pong, hasPong := c.pong, c.hasPong
	c.hasPong = false
	// The quotes frame is built behind room for its header, so the hot
	// path writes it without copying the payload.
	quotes, batch := c.out.takeQuotes(append(*frame, make([]byte, frameHeadroom)...), quotesPrefix, quotesSuffix)
	*frame = quotes
	c.opMu.Unlock()

	for _, r := range replies {
		err := c.write(*r)
		c.st.reg.frames.put(r)
		if err != nil {
			return c.writeFailed()
		}
	}
	if hasPong {
		if err := c.writeFrame(websocket.PongMessage, pong); err != nil {
			return c.writeFailed()
		}
	}
	if batch.Lagging {
		c.writeClose(websocket.CloseTryAgainLater, "client too slow")
		return now, false
	}
	if len(quotes) > frameHeadroom {
		if err := c.writeFramed(websocket.TextMessage, quotes); err != nil {
			return c.writeFailed()
		}
	}

	wake := *nextPing
	sooner := func(d time.Duration) {
		if t := now.Add(d); d > 0 && t.Before(wake) {
			wake = t
		}
	}
	sooner(batch.Wait)
	payload, wait, err := c.out.portfolio(context.Background(), batch.Dirty, now)
	switch {
	case err != nil:
		c.srv.log.Error("portfolio push failed", "err", err)
		b := c.st.reg.frames.get()
		*b = appendError(*b, nil, wsInternal, "portfolio valuation failed; it will be retried on the next change")
		err = c.write(*b)
		c.st.reg.frames.put(b)
		if err != nil {
			return c.writeFailed()
		}
	case payload != nil:
		b := c.st.reg.frames.get()
		*b = append(append(append(*b, portfolioPrefix...), payload...), portfolioSuffix...)
		err = c.write(*b)
		c.st.reg.frames.put(b)
		if err != nil {
			return c.writeFailed()
		}
	}
	sooner(wait)

	if !now.Before(*nextPing) {
		silent := now.Sub(time.Unix(0, c.lastSeen.Load()))
		if silent > silentHeartbeats*c.lim.heartbeat {
			c.writeClose(closeHeartbeatTimeout, "heartbeat timeout")
			return now, false
		}
		if err := c.writeFrame(websocket.PingMessage, nil); err != nil {
			return c.writeFailed()
		}
		*nextPing = now.Add(c.lim.heartbeat)
		wake = *nextPing
		sooner(batch.Wait)
		sooner(wait)
	}
	if sess, ok := c.st.session(); ok {
		if !now.Before(sess.ExpiresAt) {
			c.writeClose(closeUnauthorized, "session expired")
			return now, false
		}
		sooner(sess.ExpiresAt.Sub(now))
	}
	return wake, true
}

// writeReplies writes the queued replies, best effort, before a close.
func (c *wsConn) writeReplies() {
	c.opMu.Lock()
	replies := c.replies
	c.replies = nil
	c.opMu.Unlock()
	for _, r := range replies {
		_ = c.write(*r)
		c.st.reg.frames.put(r)
	}
}

// frameHeadroom is the room a buffer passed to writeFramed keeps in front
// of its payload: the longest header of an unmasked frame.
const frameHeadroom = 10

// write sends one text frame (see writeFramed).
func (c *wsConn) write(frame []byte) error { return c.writeFrame(websocket.TextMessage, frame) }

// writeFrame sends payload as one frame with opcode op, copied behind room
// for its header (see writeFramed).
func (c *wsConn) writeFrame(op int, payload []byte) error {
	b := c.st.reg.frames.get()
	*b = append(append(*b, make([]byte, frameHeadroom)...), payload...)
	err := c.writeFramed(op, *b)
	c.st.reg.frames.put(b)
	return err
}

// writeFramed sends b[frameHeadroom:] as one final, unmasked frame with
// opcode op (text, ping or pong) within the write wait (give or take a
// second), writing the header into the headroom; text frames are counted.
//
// Frames are framed here and written to the socket in one Write, not through
// the library: its WriteMessage takes a lock and resets the socket's write
// deadline on every frame (in a profile at 10,000 connections, going around
// it cut the server's own non-syscall CPU per frame by about 6 %), and its
// WriteControl sets a write deadline and leaves it in place, so every frame
// after it would fail once that deadline passed. Only the close frame, after
// which nothing is written, goes through WriteControl. Frames cannot
// interleave: this connection's writer is the only goroutine writing, and
// each frame is a single Write.
//
// So the socket has no write deadline of its own (setting one per frame
// costs a runtime timer update per frame). Instead the write's start is
// recorded, the connection's timer is due at most writeWait+watchGrace
// later, and when it fires on a write still under way it sets a deadline in
// the past on the socket, which fails the write.
func (c *wsConn) writeFramed(op int, b []byte) error {
	n := len(b) - frameHeadroom
	if op == websocket.TextMessage {
		c.st.reg.countFrame(transportWS, n)
		c.sentData = true
	}
	var h [frameHeadroom]byte
	hdr := appendFrameHeader(h[:0], op, n)
	start := frameHeadroom - len(hdr)
	copy(b[start:], hdr)
	now := time.Now()
	if latest := now.Add(c.lim.writeWait + watchGrace); c.armed.IsZero() || c.armed.After(latest) {
		c.timer.Reset(latest.Sub(now))
		c.armed, c.watching = latest, true
	}
	c.writeSince.Store(now.UnixNano())
	_, err := c.conn.NetConn().Write(b[start:])
	c.writeSince.Store(0)
	return err
}

// appendFrameHeader appends the header of one unmasked, final frame with
// opcode op carrying n bytes (RFC 6455 section 5.2).
func appendFrameHeader(dst []byte, op, n int) []byte {
	b0 := byte(0x80 | op)
	switch {
	case n < 126:
		return append(dst, b0, byte(n))
	case n <= 0xFFFF:
		return append(dst, b0, 126, byte(n>>8), byte(n))
	default:
		return binary.BigEndian.AppendUint64(append(dst, b0, 127), uint64(n))
	}
}

// watchGrace is how late after writeWait a stuck write may be failed.
const watchGrace = time.Second

// onTimer runs when the connection's timer fires: it fails a write stuck
// for longer than the write wait, then makes the writer look at its timed duties.
// A write under way but not yet overdue re-arms the timer for when it will
// be (the writer, blocked, cannot; it re-arms for its duties afterwards).
func (c *wsConn) onTimer() {
	if since := c.writeSince.Load(); since != 0 {
		if left := c.lim.writeWait - time.Since(time.Unix(0, since)); left > 0 {
			c.timer.Reset(left + time.Millisecond)
		} else {
			_ = c.conn.NetConn().SetWriteDeadline(time.Now())
		}
	}
	c.kick()
}

// writeFailed ends the connection after a write error: the reader is
// unblocked and nothing more is written.
func (c *wsConn) writeFailed() (time.Time, bool) {
	c.st.reg.countClose(transportWS, closeAbnormal)
	_ = c.conn.SetReadDeadline(time.Now())
	return time.Time{}, false
}

// writeClose sends a close frame (code -1: none) and gives the client
// closeGrace to answer before the reader gives up.
func (c *wsConn) writeClose(code int, reason string) {
	c.st.reg.countClose(transportWS, code)
	if code > 0 {
		_ = c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(closeGrace))
	}
	_ = c.conn.SetReadDeadline(time.Now().Add(closeGrace))
}
