package stream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime/debug"
	"time"
	"unicode/utf8"

	"github.com/gofiber/contrib/websocket"

	"github.com/tickerd/tickerd/portfolio"
)

var (
	errTooBig  = errors.New("message too big")
	errNotText = errors.New("binary message")
	errNotUTF8 = errors.New("text message is not valid UTF-8")
)

// readMessage reads one whole message into a pooled buffer (the caller
// puts it back), refusing messages over the limit without buffering them
// and text messages that are not valid UTF-8.
func (c *wsConn) readMessage() (*[]byte, error) {
	mt, r, err := c.conn.NextReader()
	if err != nil {
		return nil, err
	}
	c.lastSeen.Store(time.Now().UnixNano())
	buf := c.reg.frames.get()
	b := *buf
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if len(b) > c.cfg.MaxMessageBytes {
			*buf = b
			c.reg.frames.put(buf)
			return nil, errTooBig
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			*buf = b
			c.reg.frames.put(buf)
			return nil, err
		}
	}
	*buf = b
	if mt != websocket.TextMessage {
		return buf, errNotText
	}
	if !utf8.Valid(b) {
		c.reg.frames.put(buf)
		return nil, errNotUTF8
	}
	return buf, nil
}

// readFailed turns a read error into the right close request.
func (c *wsConn) readFailed(err error) {
	if errors.Is(err, errTooBig) {
		c.st.requestClose(CloseMessageTooBig, "message exceeds max_message_bytes")
		return
	}
	if errors.Is(err, errNotUTF8) {
		c.st.requestClose(CloseInvalidPayload, "text message is not valid UTF-8")
		return
	}
	// The peer closed (the close handler already asked to answer its close
	// frame), vanished, or our own read deadline after a close expired.
	c.st.requestClose(-1, "")
}

// discard reads and drops messages until the connection ends (after a close
// was requested, the writer bounds this with a read deadline).
func (c *wsConn) discard() {
	for {
		buf, err := c.readMessage()
		if buf != nil {
			c.reg.frames.put(buf)
		}
		if err != nil && !errors.Is(err, errNotText) && !errors.Is(err, errNotUTF8) {
			return
		}
	}
}

// awaitAuth waits up to the auth timeout for {"type":"auth","token":...}.
func (c *wsConn) awaitAuth() (*portfolio.Session, bool) {
	_ = c.conn.SetReadDeadline(time.Now().Add(c.cfg.AuthTimeout))
	buf, err := c.readMessage()
	if err != nil && !errors.Is(err, errNotText) {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			c.st.requestClose(CloseUnauthorized, "authentication timeout")
		} else {
			c.readFailed(err)
		}
		return nil, false
	}
	var sess *portfolio.Session
	c.aside(func() { sess = c.checkAuthMessage(*buf, err == nil) })
	c.reg.frames.put(buf)
	if sess == nil {
		return nil, false
	}
	_ = c.conn.SetReadDeadline(time.Time{})
	return sess, true
}

// checkAuthMessage checks a first message that must be
// {"type":"auth","token":...} (text says it was a text frame), asking for
// the close that fits when it is not or its token is refused.
func (c *wsConn) checkAuthMessage(raw []byte, text bool) *portfolio.Session {
	var m clientMessage
	if err := decodeClientMessage(raw, &m); !text || err != nil || m.Type != "auth" || m.Token == "" {
		c.st.requestClose(CloseUnauthorized, `authentication required: send {"type":"auth","token":"..."} first`)
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	sess, err := c.reg.deps.Sessions.Authenticate(ctx, m.Token)
	if err != nil {
		c.st.requestClose(CloseUnauthorized, "invalid or expired token")
		return nil
	}
	return &sess
}

// readLoop handles client messages until the connection ends or a close is
// requested.
func (c *wsConn) readLoop() {
	for {
		buf, err := c.readMessage()
		if err != nil && !errors.Is(err, errNotText) {
			c.readFailed(err)
			if errors.Is(err, errTooBig) || errors.Is(err, errNotUTF8) {
				c.discard()
			}
			return
		}
		if !c.allow() {
			c.reg.frames.put(buf)
			if c.strikes > float64(c.cfg.MaxMessagesPerS) {
				c.st.requestClose(ClosePolicyViolation, "message rate limit exceeded")
				c.discard()
				return
			}
			c.fail(nil, CodeRateLimited, "more than max_messages_per_s messages; this one was ignored")
			continue
		}
		if err != nil { // binary
			c.reg.frames.put(buf)
			c.fail(nil, CodeInvalidJSON, "messages must be JSON text frames")
			continue
		}
		c.aside(func() { c.handle(*buf) })
		c.reg.frames.put(buf)
		if _, _, closing := c.st.closeRequested(); closing {
			c.discard()
			return
		}
	}
}

// aside runs f on a short-lived goroutine and waits for it. The reader
// lives as long as its connection and a goroutine's stack is never shrunk
// below what it needs while parked in its read, so the 8 KiB that decoding
// a message, authenticating or subscribing take would stay with every
// connection; on a goroutine of its own the stack goes back to the runtime
// when f returns. A panic in f is the connection's, as on the reader.
func (c *wsConn) aside(f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer c.recoverPanic("websocket handler panic")
		f()
	}()
	<-done
}

// recoverPanic, deferred by a goroutine of the connection, turns a panic
// into a logged stack and a close with 1011.
func (c *wsConn) recoverPanic(msg string) {
	if v := recover(); v != nil {
		c.reg.log.Error(msg, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		c.st.requestClose(CloseInternal, "internal error")
	}
}

// allow takes one token from the inbound message bucket. Refused messages
// add a strike; strikes decay at half the allowed rate, so a client that
// keeps exceeding the rate is closed while a brief burst is only answered
// with rate_limited errors.
func (c *wsConn) allow() bool {
	now := time.Now()
	rate := float64(c.cfg.MaxMessagesPerS)
	el := now.Sub(c.lastTick).Seconds()
	c.lastTick = now
	c.bucket = min(rate, c.bucket+el*rate)
	c.strikes = max(0, c.strikes-el*rate/2)
	if c.bucket >= 1 {
		c.bucket--
		return true
	}
	c.strikes++
	return false
}
