package web

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

// SSE framing: each event's data is exactly the JSON of the WebSocket frame
// of the same type, on one line.
const (
	sseQuotesPrefix    = "event: quotes\ndata: " + quotesPrefix
	sseQuotesSuffix    = quotesSuffix + "\n\n"
	sseRetryMS         = 3000 // reconnection delay suggested to EventSource clients
	tooManyConnections = "too_many_connections"
)

// handleSSE streams quotes (and the portfolio channel) as Server-Sent
// Events: GET /api/v1/stream?symbols=AAPL,MSFT&channels=portfolio&max_rate_ms=500.
func (s *Server) handleSSE(c *fiber.Ctx) error {
	sess, _ := sessionOf(c)
	var syms []string
	if c.Query("symbols") != "" {
		var err error
		if syms, err = s.requestedSymbols(c); err != nil {
			return err
		}
	}
	lim := s.streams.limits
	if len(syms) > lim.maxSymbols {
		return writeProblem(c, http.StatusUnprocessableEntity, wsTooManySymbols,
			fmt.Sprintf("at most %d symbols per stream", lim.maxSymbols))
	}
	wantPortfolio := false
	for _, ch := range strings.Split(c.Query("channels"), ",") {
		switch strings.TrimSpace(ch) {
		case "":
		case channelPortfolio:
			wantPortfolio = true
		default:
			return writeProblem(c, http.StatusBadRequest, codeInvalidParameter,
				fmt.Sprintf("unknown channel %q (known: %q)", ch, channelPortfolio))
		}
	}
	if len(syms) == 0 && !wantPortfolio {
		return writeProblem(c, http.StatusBadRequest, codeInvalidParameter, "symbols or channels is required")
	}
	var every time.Duration
	if v := c.Query("max_rate_ms"); v != "" {
		ms, err := strconv.Atoi(v)
		if err != nil || ms < 0 || ms > maxRateMSLimit {
			return writeProblem(c, http.StatusBadRequest, codeInvalidParameter,
				fmt.Sprintf("max_rate_ms must be an integer between 0 and %d", maxRateMSLimit))
		}
		every = time.Duration(ms) * time.Millisecond
	}

	st, err := s.streams.enter(c.IP(), nil)
	if err != nil {
		return writeProblem(c, http.StatusServiceUnavailable, codeNotReady, "server is shutting down")
	}
	st.markSSE()
	reason := s.streams.admitIP(st)
	if reason == "" {
		reason = s.streams.authenticate(st, sess)
	}
	if reason != "" {
		s.streams.leave(st)
		return writeProblem(c, http.StatusTooManyRequests, tooManyConnections, reason)
	}
	st.sub.Subscribe(syms, every, s.market.Quote)
	st.setSymbols(len(syms))
	if wantPortfolio {
		st.portfolio.Store(true)
		st.sub.MarkDirty()
	}
	c.Set(fiber.HeaderContentType, "text/event-stream")
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("X-Accel-Buffering", "no")
	// The connection ends with the stream, so the write deadline the
	// stream sets (see sseOut) never reaches another response.
	c.Context().SetConnectionClose()
	conn := c.Context().Conn()
	// The stream writer runs on its own goroutine after this handler
	// returns; it alone owns st from here on.
	c.Context().SetBodyStreamWriter(func(bw *bufio.Writer) {
		w := sseOut{Writer: bw, conn: conn, wait: s.streams.limits.slowWindow}
		defer s.streams.leave(st)
		defer func() {
			if v := recover(); v != nil {
				s.log.Error("sse stream panic", "panic", fmt.Sprint(v))
			}
		}()
		s.pumpSSE(st, w)
	})
	return nil
}

// pumpSSE writes events until the client goes away (a write fails: the
// only way to notice it, hence the keep-alive comments), the session ends,
// the client falls too far behind, or the server shuts down.
func (s *Server) pumpSSE(st *stream, w sseOut) {
	out := streamOut{st: st}
	keepAlive := s.streams.limits.heartbeat
	fmt.Fprintf(w, "retry: %d\n\n", sseRetryMS)
	if w.Flush() != nil {
		return
	}
	nextKeepAlive := time.Now().Add(keepAlive)
	timer := time.NewTimer(keepAlive)
	defer timer.Stop()
	buf := s.streams.frames.get()
	defer s.streams.frames.put(buf)
	for {
		select {
		case <-st.sub.Notify():
		case <-timer.C:
		}
		now := time.Now()
		if code, reason, ok := st.closeRequested(); ok {
			s.streams.countClose(transportSSE, code)
			sseClose(w, code, reason)
			return
		}
		b, taken := out.takeQuotes((*buf)[:0], sseQuotesPrefix, sseQuotesSuffix)
		*buf = b
		if taken.Lagging {
			s.streams.countClose(transportSSE, 1013)
			sseClose(w, 1013, "client too slow")
			return
		}
		_, _ = w.Write(b)
		s.streams.countFrame(transportSSE, len(b))
		payload, wait, err := out.portfolio(context.Background(), taken.Dirty, now)
		if err != nil {
			s.log.Error("portfolio push failed", "err", err)
		} else if payload != nil {
			fmt.Fprintf(w, "event: portfolio\ndata: %s%s%s\n\n", portfolioPrefix, payload, portfolioSuffix)
			s.streams.countFrame(transportSSE, ssePortfolioLen(payload))
		}
		if !now.Before(nextKeepAlive) {
			_, _ = w.WriteString(": keep-alive\n\n")
			nextKeepAlive = now.Add(keepAlive)
		}
		if w.Flush() != nil {
			return
		}
		wake := nextKeepAlive
		for _, d := range []time.Duration{taken.Wait, wait} {
			if t := now.Add(d); d > 0 && t.Before(wake) {
				wake = t
			}
		}
		if sess, ok := st.session(); ok {
			if !now.Before(sess.ExpiresAt) {
				s.streams.countClose(transportSSE, closeUnauthorized)
				sseClose(w, closeUnauthorized, "session expired")
				return
			}
			if sess.ExpiresAt.Before(wake) {
				wake = sess.ExpiresAt
			}
		}
		timer.Reset(time.Until(wake))
	}
}

// sseClose tells the client why the stream ends, with the WebSocket close
// code of the same situation, and flushes.
func sseClose(w sseOut, code int, reason string) {
	if code > 0 {
		fmt.Fprintf(w, "event: close\ndata: {\"type\":\"close\",\"code\":%d,\"reason\":%s}\n\n", code, appendJSONString(nil, reason))
	}
	_ = w.Flush()
}

// sseOut is an event stream's buffered writer. fasthttp copies what it
// flushes to the client's socket on another goroutine, through a small
// pipe; each Flush gives that socket wait to accept the data, so a client
// that stops reading ends its stream (the copy fails, then this writer's
// next Flush) instead of pinning both goroutines until shutdown.
type sseOut struct {
	*bufio.Writer
	conn net.Conn
	wait time.Duration
}

// Flush sets the socket's write deadline, then flushes.
func (w sseOut) Flush() error {
	_ = w.conn.SetWriteDeadline(time.Now().Add(w.wait))
	return w.Writer.Flush()
}
