package stream

import (
	"encoding/binary"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/gofiber/contrib/websocket"
)

// Writer states (wsConn.wstate).
const (
	writerNew       = iota // startWriter has not run yet
	writerNewKicked        // startWriter has not run yet, and a kick came
	writerIdle             // no writer goroutine
	writerRunning          // a writer is in a pass
	writerAgain            // a writer is in a pass or starting, and must pass once more
	writerDone             // the connection is finished; no writer will start
)

// stuckWait is how long one write may block before the connection's timer
// fails it: the write wait, or the slow-client window when that is
// shorter. A socket that accepts nothing for the window is the same slow
// client the hub would mark lagging after that long without a Take, which
// it cannot notice while the writer is blocked.
func (c *wsConn) stuckWait() time.Duration { return min(c.cfg.WriteWait, c.cfg.SlowClientWindow) }

// startWriter arms the heartbeat once the connection is set up; the first
// writer starts now if something was already signalled (a shutdown may ask
// to close a connection that has just registered), else on the first kick.
func (c *wsConn) startWriter() {
	c.armed = c.w.nextBeat
	c.timer = time.AfterFunc(time.Until(c.armed), c.onTimer)
	if !c.wstate.CompareAndSwap(writerNew, writerIdle) { // writerNewKicked
		c.wstate.Store(writerAgain)
		go c.writeRun()
	}
}

// kick makes sure a writer passes after this call: it starts one unless
// one is running, in which case that one passes again. It never blocks; the
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
		default: // a pass is already owed, or the connection is finished or not set up
			return
		}
	}
}

// writeRun is the connection's writer while there is work: it passes until
// no kick arrived during the last pass, arming the timer for the next timed
// duty. The state machine of kick lets only one run at a time.
func (c *wsConn) writeRun() {
	defer func() {
		if v := recover(); v != nil {
			c.writerPanic(v)
		}
	}()
	for {
		c.wstate.Store(writerRunning)
		if !c.armed.IsZero() && !time.Now().Before(c.armed) {
			c.armed, c.watching = time.Time{}, false // the timer fired, or is about to
		}
		c.sentData = false
		if err := c.sendRest(); err != nil {
			c.w.failed(err)
			c.finishWriter()
			return
		}
		wake, ok := c.w.pass(time.Now())
		if !ok {
			c.finishWriter()
			return
		}
		// A pass of control frames only (a heartbeat ping, a pong) drops the
		// watch it armed: otherwise an idle connection would wake for nothing
		// a write wait after every ping. Data passes keep it, as the next
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

// writerPanic ends the connection after a panic in its writer (1011),
// logging it; the reader is ended too.
func (c *wsConn) writerPanic(v any) {
	c.reg.log.Error("websocket writer panic", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
	c.st.endCode = CloseInternal
	_ = c.conn.SetReadDeadline(time.Now()) // end the reader too
	c.finishWriter()
}

// finishWriter ends the writing side for good.
func (c *wsConn) finishWriter() {
	c.wstate.Store(writerDone)
	c.timer.Stop()
	close(c.writerDone)
}

// onTimer runs when the connection's timer fires: it fails a write stuck
// for longer than stuckWait, then makes the writer look at its timed
// duties. A write under way but not yet overdue re-arms the timer for when
// it will be (the writer, blocked, cannot; it re-arms for its duties
// afterwards).
func (c *wsConn) onTimer() {
	if since := c.writeSince.Load(); since != 0 {
		if left := c.stuckWait() - time.Since(time.Unix(0, since)); left > 0 {
			c.timer.Reset(left + time.Millisecond)
		} else {
			c.stalled.Store(true)
			_ = c.conn.NetConn().SetWriteDeadline(time.Now())
		}
	}
	c.kick()
}

// message implements framer: one text frame.
func (c *wsConn) message(_ string, b []byte) error {
	return c.writeFramed(websocket.TextMessage, b)
}

// control implements framer: the pong a client's ping is owed.
func (c *wsConn) control() error {
	c.pongMu.Lock()
	if !c.hasPong {
		c.pongMu.Unlock()
		return nil
	}
	b := c.reg.frames.getFrame()
	*b = append(*b, c.pong...)
	c.hasPong = false
	c.pongMu.Unlock()
	err := c.writeFramed(websocket.PongMessage, *b)
	c.reg.frames.put(b)
	return err
}

// heartbeat implements framer: a ping, unless the client stayed silent for
// silentHeartbeats heartbeats.
func (c *wsConn) heartbeat(now time.Time) error {
	if now.Sub(time.Unix(0, c.lastSeen.Load())) > silentHeartbeats*c.cfg.Heartbeat {
		return errSilent
	}
	var b [frameHeadroom]byte
	return c.writeFramed(websocket.PingMessage, b[:])
}

// flush implements framer: every frame is written to the socket whole.
func (c *wsConn) flush() error { return nil }

// close implements framer: a close frame (code -1: none), after which the
// client has closeGrace to answer before the reader gives up. A close frame
// that cannot be written within closeGrace (a client that takes nothing)
// ends the connection at once: no answer will come.
func (c *wsConn) close(code int, reason string) {
	if code > 0 {
		msg := websocket.FormatCloseMessage(code, reason)
		if err := c.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(closeGrace)); err != nil {
			c.abort()
			return
		}
	}
	_ = c.conn.SetReadDeadline(time.Now().Add(closeGrace))
}

// abort implements framer: the reader is unblocked at once.
func (c *wsConn) abort() { _ = c.conn.SetReadDeadline(time.Now()) }

// writeFramed sends b[frameHeadroom:] as one final, unmasked frame with
// opcode op (text, ping or pong) within stuckWait, writing the header
// into the headroom; text frames are counted. A write failed for taking
// longer returns errStalled. In a direct pass the frame is written without
// waiting (writeDirect).
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
// recorded, the connection's timer is due at most stuckWait later, and
// when it fires on a write still under way it sets a deadline in the past
// on the socket, which fails the write.
func (c *wsConn) writeFramed(op int, b []byte) error {
	n := len(b) - frameHeadroom
	if op == websocket.TextMessage {
		c.reg.count.frame(transportWS, n)
		c.sentData = true
	}
	var h [frameHeadroom]byte
	hdr := appendFrameHeader(h[:0], op, n)
	start := frameHeadroom - len(hdr)
	copy(b[start:], hdr)
	if c.direct {
		return c.writeDirect(b[start:])
	}
	return c.send(b[start:])
}

// send writes p to the socket, failing with errStalled when the write
// takes longer than stuckWait.
func (c *wsConn) send(p []byte) error {
	now := time.Now()
	if latest := now.Add(c.stuckWait()); c.armed.IsZero() || c.armed.After(latest) {
		c.timer.Reset(latest.Sub(now))
		c.armed, c.watching = latest, true
	}
	c.writeSince.Store(now.UnixNano())
	_, err := c.conn.NetConn().Write(p)
	c.writeSince.Store(0)
	if err != nil && c.stalled.Load() {
		return errStalled
	}
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
