package stream

import (
	"errors"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gofiber/contrib/websocket"

	"github.com/tickerd/tickerd/portfolio"
)

// wsConn is one WebSocket connection. The handler goroutine reads; one
// writer at a time performs every write (frames, pongs, pings, close): a
// goroutine started when there is something to write, which ends when
// nothing is left, so an idle connection holds only its reader. Quotes
// that find no writer running are usually written by the hub's goroutine
// that signals them, without waiting on the socket (ws_direct.go).
type wsConn struct {
	reg        *Registry
	conn       *websocket.Conn
	st         *stream
	w          *writer
	cfg        Config
	writerDone chan struct{}
	lastSeen   atomic.Int64 // UnixNano of the client's last frame

	// writer state (ws_writer.go); the fields below wstate belong to the
	// running writer
	wstate   atomic.Int32 // writerIdle, writerRunning, writerAgain or writerDone
	timer    *time.Timer  // kicks the writer at the next timed duty
	armed    time.Time    // when timer fires; zero if not set
	watching bool         // armed was set by writeFramed to watch a write, not for a duty
	sentData bool         // this pass wrote a text frame

	writeSince atomic.Int64 // UnixNano when the frame being written started; 0 if none
	stalled    atomic.Bool  // the timer failed a write that took longer than stuckWait

	// direct writes (ws_direct.go): raw is the socket's file descriptor,
	// nil when frames cannot be written to it directly (TLS); the fields
	// after it belong to the running writer
	raw       syscall.RawConn
	sendFn    func(fd uintptr) bool // c.sendNow, bound once
	direct    bool                  // this pass writes without waiting on the socket
	rest      []byte                // bytes a direct write left unsent, for the writer goroutine
	derr      error                 // a direct write's failure, for the writer goroutine
	sendBuf   []byte                // what sendNow sends
	sent      int                   // and what it reports
	sendErrno syscall.Errno

	pongMu  sync.Mutex
	pong    []byte // payload of a client ping to answer
	hasPong bool

	// reader-only state (ws_reader.go, ws_handle.go)
	symbols  map[string]struct{}
	bucket   float64 // inbound message tokens
	strikes  float64 // messages refused for rate; decays
	lastTick time.Time
}

// ServeWS runs one upgraded connection until it ends. sess is the session
// the upgrade request carried, or nil when the client must authenticate
// with its first message. It returns only after the writer has exited and
// the stream is unregistered: the pooled Conn must not be touched
// afterwards.
func (r *Registry) ServeWS(conn *websocket.Conn, sess *portfolio.Session) {
	now := time.Now()
	c := &wsConn{
		reg: r, conn: conn, cfg: r.cfg, writerDone: make(chan struct{}),
		symbols: make(map[string]struct{}), bucket: float64(r.cfg.MaxMessagesPerS), lastTick: now,
	}
	c.raw = rawConn(conn.NetConn())
	var onPublish func()
	if c.raw != nil {
		onPublish, c.sendFn = c.onPublish, c.sendNow
	}
	st, err := r.enter(transportWS, conn.IP(), c.kick, onPublish)
	if err != nil { // shutdown began between the upgrade and now; nothing else writes yet
		_ = conn.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(CloseGoingAway, "server shutting down"), now.Add(closeGrace))
		return
	}
	defer r.leave(st)
	c.st, c.w = st, newWriter(r, st, c, false, now)
	c.lastSeen.Store(now.UnixNano())
	c.setHandlers()
	c.startWriter()
	defer func() {
		st.requestClose(-1, "") // no-op if a close is already under way
		<-c.writerDone
	}()
	defer c.recoverPanic("websocket reader panic")
	c.run(sess)
}

// errControlFlood ends the reader of a client whose control frames kept
// above the message rate.
var errControlFlood = errors.New("control frames over the message rate")

// setHandlers answers the client's control frames: its close is echoed by
// the writer, its ping answered with a pong, and any frame shows it alive.
// Pings and pongs count against the inbound message rate like messages
// (admitControl).
func (c *wsConn) setHandlers() {
	c.conn.SetCloseHandler(func(code int, _ string) error {
		if code == websocket.CloseNoStatusReceived {
			code = CloseNormal
		}
		c.st.requestClose(code, "")
		return nil
	})
	c.conn.SetPingHandler(func(data string) error {
		c.lastSeen.Store(time.Now().UnixNano())
		if ok, err := c.admitControl(); !ok {
			return err // nil: dropped, no pong
		}
		c.pongMu.Lock()
		c.pong, c.hasPong = append(c.pong[:0], data...), true
		c.pongMu.Unlock()
		c.st.sub.Wake()
		return nil
	})
	c.conn.SetPongHandler(func(string) error {
		c.lastSeen.Store(time.Now().UnixNano())
		_, err := c.admitControl()
		return err
	})
}

// admitControl counts an inbound ping or pong against the message rate
// (the control handlers run on the reader, so they share its bucket). Over
// the rate the frame is dropped (false; a ping gets no pong); a client
// that keeps it up is closed with 1008 like one that floods messages, and
// errControlFlood, returned from the handler, ends the read at once so the
// flood costs nothing more.
func (c *wsConn) admitControl() (bool, error) {
	if c.allow() {
		return true, nil
	}
	if c.strikes > float64(c.cfg.MaxMessagesPerS) {
		c.st.requestClose(ClosePolicyViolation, "message rate limit exceeded")
		return false, errControlFlood
	}
	return false, nil
}

// run authenticates (if the upgrade did not) and then reads until the
// connection ends.
func (c *wsConn) run(sess *portfolio.Session) {
	if reason := c.reg.admitIP(c.st); reason != "" {
		c.st.requestClose(ClosePolicyViolation, reason)
		c.discard()
		return
	}
	if sess == nil {
		var ok bool
		if sess, ok = c.awaitAuth(); !ok {
			c.discard()
			return
		}
	}
	if reason := c.reg.authenticate(c.st, *sess); reason != "" {
		c.st.requestClose(ClosePolicyViolation, reason)
		c.discard()
		return
	}
	c.reply(func(b []byte) []byte { return appendWelcome(b, sess.Username, c.cfg) })
	c.readLoop()
}

// reply queues a frame built by build for the writer.
func (c *wsConn) reply(build func([]byte) []byte) {
	c.st.replyMu.Lock()
	c.reg.queueReply(c.st, build)
	c.st.replyMu.Unlock()
	c.st.sub.Wake()
}
