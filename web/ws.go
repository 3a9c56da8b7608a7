package web

import (
	"fmt"
	"net/http"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"

	"github.com/tickerd/tickerd/portfolio"
)

// Per-connection socket buffers. Small on purpose: frames larger than a
// buffer are still read and written whole (the library streams them), and
// write buffers come from a shared pool, so an idle connection holds only
// its read buffer.
const (
	wsReadBufferSize  = 512
	wsWriteBufferSize = 2048
	maxQueuedReplies  = 64 // replies the client has not let us write yet: beyond this it is too slow
)

// localStreamSession carries the session authenticated on the upgrade
// request into the WebSocket handler.
const localStreamSession = "tickerd.stream.session"

// registerStreamRoutes: GET /ws (WebSocket) and GET /stream (SSE).
func (s *Server) registerStreamRoutes(api fiber.Router) {
	var writeBufs sync.Pool // one pool for the one write buffer size
	upgrade := websocket.New(s.serveWS, websocket.Config{
		ReadBufferSize:  wsReadBufferSize,
		WriteBufferSize: wsWriteBufferSize,
		WriteBufferPool: &writeBufs,
		RecoverHandler: func(*websocket.Conn) {
			if v := recover(); v != nil { // serveWS recovers its own; this is a last resort
				s.log.Error("websocket handler panic", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			}
		},
	})
	api.Get("/ws", func(c *fiber.Ctx) error { return s.handleWSUpgrade(c, upgrade) })
	api.Get("/stream", s.requireSession, s.handleSSE)
}

// handleWSUpgrade answers everything that must be refused before the
// upgrade with a problem response, then upgrades.
func (s *Server) handleWSUpgrade(c *fiber.Ctx, upgrade fiber.Handler) error {
	if !websocket.IsWebSocketUpgrade(c) {
		c.Set(fiber.HeaderUpgrade, "websocket")
		return writeProblem(c, http.StatusUpgradeRequired, upgradeRequiredCode,
			"this endpoint speaks WebSocket only; use GET /api/v1/stream for Server-Sent Events")
	}
	if !s.originAllowed(c) {
		return writeProblem(c, http.StatusForbidden, codeOriginForbidden,
			"WebSocket connections are accepted from this site's origin and the configured allowed origins only")
	}
	sess, err := s.authenticate(c)
	switch {
	case err == nil:
		c.Locals(localStreamSession, sess)
	case err != errNoCredentials:
		setAuthenticate(c, portfolio.CodeUnauthorized)
		return err
	}
	if s.streams.shuttingDown() {
		return writeProblem(c, http.StatusServiceUnavailable, codeNotReady, "server is shutting down")
	}
	return upgrade(c)
}

// wsConn is one WebSocket connection. The handler goroutine reads; one
// writer at a time performs every write (frames, pongs, pings, close): a
// goroutine started when there is something to write, which ends when
// nothing is left, so an idle connection holds only its reader.
type wsConn struct {
	srv        *Server
	conn       *websocket.Conn
	st         *stream
	lim        streamLimits
	out        streamOut
	writerDone chan struct{}
	lastSeen   atomic.Int64 // UnixNano of the client's last frame

	// writer state; the fields below wstate belong to the running writer
	wstate   atomic.Int32 // writerIdle, writerRunning, writerAgain or writerDone
	timer    *time.Timer  // kicks the writer at the next timed duty
	armed    time.Time    // when timer fires; zero if not set
	watching bool         // armed was set by writeFrame to watch a write, not for a duty
	sentData bool         // this flush wrote a text frame
	nextPing time.Time

	writeSince atomic.Int64 // UnixNano when the frame being written started; 0 if none

	opMu    sync.Mutex // orders a reply before the quotes it announces
	replies []*[]byte  // frames queued for the writer
	pong    []byte     // payload of a client ping to answer
	hasPong bool

	// reader-only state
	symbols  map[string]struct{}
	bucket   float64 // inbound message tokens
	strikes  float64 // messages refused for rate; decays
	lastTick time.Time
}

// serveWS runs one upgraded connection. It returns only after the writer
// has exited and the subscriber is unregistered: the pooled Conn must not
// be touched afterwards.
func (s *Server) serveWS(conn *websocket.Conn) {
	c := &wsConn{
		srv: s, conn: conn, lim: s.streams.limits,
		writerDone: make(chan struct{}), symbols: make(map[string]struct{}),
		bucket: float64(s.streams.limits.maxMessagesPerS), lastTick: time.Now(),
	}
	c.lim.writeWait = time.Duration(s.streams.writeWait.Load())
	st, err := s.streams.enter(conn.IP(), c.kick)
	if err != nil { // shutdown began between the upgrade and now; nothing else writes yet
		_ = conn.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down"), time.Now().Add(closeGrace))
		return
	}
	defer s.streams.leave(st)
	c.st, c.out = st, streamOut{st: st}
	c.lastSeen.Store(time.Now().UnixNano())
	conn.SetCloseHandler(func(code int, _ string) error {
		if code == websocket.CloseNoStatusReceived {
			code = websocket.CloseNormalClosure
		}
		st.requestClose(code, "")
		return nil
	})
	conn.SetPingHandler(func(data string) error {
		c.lastSeen.Store(time.Now().UnixNano())
		c.opMu.Lock()
		c.pong, c.hasPong = append(c.pong[:0], data...), true
		c.opMu.Unlock()
		st.sub.Wake()
		return nil
	})
	conn.SetPongHandler(func(string) error {
		c.lastSeen.Store(time.Now().UnixNano())
		return nil
	})
	c.startWriter()
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("websocket reader panic", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			st.requestClose(websocket.CloseInternalServerErr, "internal error")
		}
		st.requestClose(-1, "") // no-op if a close is already under way
		<-c.writerDone
	}()
	sess, authed := conn.Locals(localStreamSession).(portfolio.Session)
	c.run(sess, authed)
}

// run authenticates (if the upgrade did not) and then reads until the
// connection ends.
func (c *wsConn) run(sess portfolio.Session, authed bool) {
	if reason := c.st.reg.admitIP(c.st); reason != "" {
		c.st.requestClose(websocket.ClosePolicyViolation, reason)
		c.discard()
		return
	}
	if !authed {
		var ok bool
		if sess, ok = c.awaitAuth(); !ok {
			c.discard()
			return
		}
	}
	if reason := c.st.reg.authenticate(c.st, sess); reason != "" {
		c.st.requestClose(websocket.ClosePolicyViolation, reason)
		c.discard()
		return
	}
	c.reply(func(b []byte) []byte { return appendWelcome(b, sess.Username, c.lim) })
	c.readLoop()
}

// reply queues a frame built by build for the writer.
func (c *wsConn) reply(build func([]byte) []byte) {
	c.opMu.Lock()
	c.queueLocked(build)
	c.opMu.Unlock()
	c.st.sub.Wake()
}

// queueLocked queues a frame; the caller holds opMu. A client that lets
// replies pile up is closed as too slow.
func (c *wsConn) queueLocked(build func([]byte) []byte) {
	if len(c.replies) >= maxQueuedReplies {
		c.st.requestClose(websocket.CloseTryAgainLater, "client too slow")
		return
	}
	b := c.st.reg.frames.get()
	*b = build(*b)
	c.replies = append(c.replies, b)
}

// shuttingDown reports whether shutdown has begun.
func (r *streamRegistry) shuttingDown() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closing
}
