package web

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Locals keys set by the middleware.
const (
	localRequestID = "tickerd.request_id"
	localSession   = "tickerd.session"
)

// headerRequestID carries the request id in both directions.
const headerRequestID = "X-Request-ID"

// requestID returns the id observe gave the request, or "".
func requestID(c *fiber.Ctx) string {
	id, _ := c.Locals(localRequestID).(string)
	return id
}

// saneRequestID reports whether a client-supplied request id may be reused:
// 1 to 64 characters of letters, digits, '-', '_' and '.'.
func saneRequestID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		ch := id[i]
		switch {
		case ch >= 'a' && ch <= 'z', ch >= 'A' && ch <= 'Z', ch >= '0' && ch <= '9',
			ch == '-', ch == '_', ch == '.':
		default:
			return false
		}
	}
	return true
}

// newRequestID returns 16 random bytes in hex.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// observe gives every request an id (X-Request-ID when sane, else a new
// one), answers any error as a problem and logs one line per request:
// method, route, status, duration, bytes and id. It never logs bodies,
// query strings, the Authorization header or cookies.
func (s *Server) observe(c *fiber.Ctx) error {
	start := time.Now()
	id := c.Get(headerRequestID)
	if !saneRequestID(id) {
		id = newRequestID()
	}
	c.Locals(localRequestID, id)
	c.Set(headerRequestID, id)

	if err := c.Next(); err != nil {
		if werr := s.writeError(c, err); werr != nil {
			s.log.ErrorContext(c.UserContext(), "write error response", "request_id", id, "err", werr)
			c.Status(fiber.StatusInternalServerError)
		}
	}

	status := c.Response().StatusCode()
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	route := c.Path()
	if r := c.Route(); r != nil && r.Path != "" && r.Path != "/" && status != fiber.StatusNotFound {
		route = r.Path
	}
	elapsed := time.Since(start)
	if route == metricsPath && !s.cfg.MetricsOff {
		if level == slog.LevelInfo {
			level = slog.LevelDebug // scrapes are neither logged at info nor measured
		}
	} else {
		s.metrics.observeHTTP(c.Method(), routeLabel(c, status), status, elapsed)
	}
	if !s.log.Enabled(c.UserContext(), level) {
		return nil
	}
	size := -1 // a streamed body (SSE) is never buffered to be measured
	if !c.Response().IsBodyStream() {
		size = len(c.Response().Body())
	}
	attrs := []slog.Attr{
		slog.String("request_id", id),
		slog.String("method", c.Method()),
		slog.String("route", route),
		slog.Int("status", status),
		slog.Duration("duration", elapsed),
		slog.Int("bytes", size),
		slog.String("ip", c.IP()),
	}
	if sess, ok := sessionOf(c); ok {
		attrs = append(attrs, slog.Int64("account_id", sess.AccountID))
	}
	s.log.LogAttrs(c.UserContext(), level, "request", attrs...)
	return nil
}

// recoverPanic turns a panic in a later handler into a 500 problem and logs
// it with its stack; the connection and the server carry on.
func (s *Server) recoverPanic(c *fiber.Ctx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.ErrorContext(c.UserContext(), "panic in handler",
				"request_id", requestID(c), "method", c.Method(), "path", c.Path(),
				"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = newProblem(codeInternal, "", "internal server error")
		}
	}()
	return c.Next()
}

// refuseAmbiguousLength answers 400 and closes the connection when a
// request carries both Content-Length and Transfer-Encoding. fasthttp lets
// the chunked encoding win, but a proxy in front may have framed the body by
// Content-Length: the two would then disagree about where this request
// ends and the next begins (request smuggling). RFC 9112 section 6.3 allows
// refusing such a request and requires the connection to be closed.
func (s *Server) refuseAmbiguousLength(c *fiber.Ctx) error {
	if !hasHeaders(c.Request().Header.RawHeaders(), "content-length", "transfer-encoding") {
		return c.Next()
	}
	c.Context().SetConnectionClose()
	return newProblem(codeBadRequest, "",
		"a request must not carry both Content-Length and Transfer-Encoding")
}

// hasHeaders reports whether the raw header block (Name: value lines)
// holds a field of each of the two names (lower case).
func hasHeaders(raw []byte, a, b string) bool {
	var seenA, seenB bool
	for len(raw) > 0 {
		var line []byte
		line, raw, _ = bytes.Cut(raw, []byte("\n"))
		name, _, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		name = bytes.TrimSpace(name)
		seenA = seenA || bytes.EqualFold(name, []byte(a))
		seenB = seenB || bytes.EqualFold(name, []byte(b))
	}
	return seenA && seenB
}
