package web

import (
	"bufio"
	"fmt"
	"runtime/debug"
	"sync"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"

	"github.com/tickerd/tickerd/portfolio"
	"github.com/tickerd/tickerd/web/stream"
)

// Per-connection socket buffers. Small on purpose: frames larger than a
// buffer are still read and written whole (the library streams them), and
// write buffers come from a shared pool, so an idle connection holds only
// its read buffer.
const (
	wsReadBufferSize  = 512
	wsWriteBufferSize = 2048
)

// localStreamSession carries the session authenticated on the upgrade
// request into the WebSocket handler.
const localStreamSession = "tickerd.stream.session"

// registerStreamRoutes: GET /ws (WebSocket) and GET /stream (SSE). The
// handlers here do the handshake (Origin, credentials, subscription, caps,
// shutdown), answering every refusal as a problem; web/stream runs the
// connection after it.
func (s *Server) registerStreamRoutes(api fiber.Router) {
	var writeBufs sync.Pool // one pool for the one write buffer size
	upgrade := websocket.New(func(conn *websocket.Conn) {
		var sess *portfolio.Session
		if v, ok := conn.Locals(localStreamSession).(portfolio.Session); ok {
			sess = &v
		}
		s.streams.ServeWS(conn, sess)
	}, websocket.Config{
		ReadBufferSize:  wsReadBufferSize,
		WriteBufferSize: wsWriteBufferSize,
		WriteBufferPool: &writeBufs,
		RecoverHandler: func(*websocket.Conn) {
			if v := recover(); v != nil { // ServeWS recovers its own; this is a last resort
				s.log.Error("websocket handler panic", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			}
		},
	})
	api.Get("/ws", func(c *fiber.Ctx) error { return s.handleWSUpgrade(c, upgrade) })
	api.Get("/stream", s.requireSession, s.handleSSE)
}

// handleWSUpgrade answers everything that must be refused before the
// upgrade with a problem response, then upgrades. A request without
// credentials is upgraded too: the client then authenticates with its
// first message.
func (s *Server) handleWSUpgrade(c *fiber.Ctx, upgrade fiber.Handler) error {
	if !websocket.IsWebSocketUpgrade(c) {
		c.Set(fiber.HeaderUpgrade, "websocket")
		return newProblem(codeUpgradeRequired, "",
			"this endpoint speaks WebSocket only; use GET /api/v1/stream for Server-Sent Events")
	}
	if !s.originAllowed(c) {
		return newProblem(codeOriginForbidden, "",
			"WebSocket connections are accepted from this site's origin and the configured allowed origins only")
	}
	sess, err := s.authenticate(c)
	switch {
	case err == nil:
		c.Locals(localStreamSession, sess)
	case err != errNoCredentials:
		return err
	}
	if s.streams.ShuttingDown() {
		return newProblem(codeNotReady, "", "server is shutting down")
	}
	return upgrade(c)
}

// handleSSE streams quotes (and the portfolio channel) as Server-Sent
// Events: GET /api/v1/stream?symbols=AAPL,MSFT&channels=portfolio&max_rate_ms=500.
func (s *Server) handleSSE(c *fiber.Ctx) error {
	sess, _ := sessionOf(c)
	req, perr := stream.QueryRequest(c.Query("symbols"), c.Query("channels"), c.Query("max_rate_ms"), c.Query("since"))
	if perr != nil {
		return subscriptionProblem(perr)
	}
	sub, perr := s.streams.Check(req, nil)
	if perr != nil {
		return subscriptionProblem(perr)
	}
	if err := s.streams.Want(sub.Symbols); err != nil {
		s.log.Warn("stream", "err", err)
		return newProblem(codeNotReady, "", stream.NotReadyText)
	}
	sse, err := s.streams.OpenSSE(c.IP(), sess, sub)
	switch e := err.(type) {
	case nil:
	case *stream.Error:
		return newProblem(codeTooManyConnections, "", e.Message)
	default:
		return newProblem(codeNotReady, "", "server is shutting down")
	}
	c.Set(fiber.HeaderContentType, "text/event-stream")
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("X-Accel-Buffering", "no")
	// The connection ends with the stream, so the write deadline the
	// stream sets never reaches another response.
	c.Context().SetConnectionClose()
	conn := c.Context().Conn()
	// The stream writer runs on its own goroutine after this handler
	// returns; it alone owns the stream from here on.
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) { sse.Serve(w, conn) })
	return nil
}

// subscriptionProblem answers a refused SSE subscription: an unknown
// symbol or too many is 422 with the stream's code, any other malformed
// parameter 400 invalid_parameter.
func subscriptionProblem(e *stream.Error) error {
	switch e.Code {
	case stream.CodeUnknownSymbol, stream.CodeTooManySymbols:
		return newProblem(e.Code, e.Field, e.Message)
	}
	return newProblem(codeInvalidParameter, e.Field, e.Message)
}
