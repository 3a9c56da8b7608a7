package stream

import (
	"bufio"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/tickerd/tickerd/portfolio"
)

// CodeTooManyConnections is the error code of a stream refused by a
// connection cap.
const CodeTooManyConnections = "too_many_connections"

// SSE is one Server-Sent Events stream, registered and subscribed, waiting
// for its response body to be written by Serve.
type SSE struct {
	reg *Registry
	st  *stream
}

// OpenSSE registers a stream for sess from ip with sub applied. It fails
// with ErrShuttingDown, or with an *Error of code CodeTooManyConnections
// when a cap is reached. The caller must call Serve (or Abandon) exactly
// once.
func (r *Registry) OpenSSE(ip string, sess portfolio.Session, sub Subscription) (*SSE, error) {
	st, err := r.enter(transportSSE, ip, nil, nil)
	if err != nil {
		return nil, err
	}
	reason := r.admitIP(st)
	if reason == "" {
		reason = r.authenticate(st, sess)
	}
	if reason != "" {
		r.leave(st)
		return nil, &Error{Code: CodeTooManyConnections, Message: reason}
	}
	st.replyMu.Lock()
	st.sub.SubscribeSince(sub.Symbols, sub.Every, sub.Since, r.deps.Market.Quote)
	st.quotes, st.every = sub.Symbols, sub.Every
	st.replyMu.Unlock()
	st.symbols.Store(int32(len(sub.Symbols)))
	if sub.Portfolio {
		st.portfolio.Store(true)
		st.sub.MarkDirty()
	}
	st.alerts.Store(sub.Alerts)
	return &SSE{reg: r, st: st}, nil
}

// Abandon unregisters a stream whose response will never be written.
func (s *SSE) Abandon() { s.reg.leave(s.st) }

// Serve writes events to w until the client goes away (a write fails: the
// only way to notice it, hence the keep-alive comments), the session ends,
// the client falls too far behind, or the server shuts down; then it
// unregisters the stream. conn is the client's socket: each flush gives it
// the slow-client window to take the data.
func (s *SSE) Serve(w *bufio.Writer, conn net.Conn) {
	r := s.reg
	defer r.leave(s.st)
	defer func() {
		if v := recover(); v != nil {
			r.log.Error("sse stream panic", "panic", fmt.Sprint(v))
			s.st.endCode = CloseInternal
		}
	}()
	f := &sseFramer{Writer: w, conn: conn, wait: r.cfg.SlowClientWindow, count: &r.count}
	_, _ = w.WriteString("retry: " + strconv.Itoa(sseRetryMS) + "\n\n")
	if f.flush() != nil {
		s.st.endCode = closeAbnormal
		return
	}
	wr := newWriter(r, s.st, f, true, time.Now())
	timer := time.NewTimer(r.cfg.Heartbeat)
	defer timer.Stop()
	for {
		select {
		case <-s.st.sub.Notify():
		case <-timer.C:
		}
		wake, ok := wr.pass(time.Now())
		if !ok {
			return
		}
		timer.Reset(time.Until(wake))
	}
}

// sseFramer writes the events of one stream: each event's data is exactly
// the JSON of the WebSocket message of the same type, on one line.
//
// fasthttp copies what the stream flushes to the client's socket on
// another goroutine, through a small pipe; each flush gives that socket
// wait to accept the data, so a client that stops reading ends its stream
// (the copy fails, then this writer's next flush) instead of pinning both
// goroutines until shutdown.
type sseFramer struct {
	*bufio.Writer
	conn  net.Conn
	wait  time.Duration
	count *counters
	// armed is when the socket's write deadline was last set (to armed +
	// wait). The buffered writer also writes through to the socket when
	// its buffer fills, under that same deadline.
	armed time.Time
}

// stalled classifies a write error: one that came a whole window after
// the deadline was set failed because the client took nothing for that
// long (errStalled); any other means the client is gone.
func (f *sseFramer) stalled(err error) error {
	if err != nil && !f.armed.IsZero() && time.Since(f.armed) >= f.wait {
		return errStalled
	}
	return err
}

// message implements framer: one event named event.
func (f *sseFramer) message(event string, b []byte) error {
	data := b[frameHeadroom:]
	_, _ = f.WriteString("event: ")
	_, _ = f.WriteString(event)
	_, _ = f.WriteString("\ndata: ")
	_, _ = f.Write(data)
	_, err := f.WriteString("\n\n")
	f.count.frame(transportSSE, len("event: \ndata: \n\n")+len(event)+len(data))
	return f.stalled(err)
}

// control implements framer: SSE has no control frames.
func (f *sseFramer) control() error { return nil }

// heartbeat implements framer: a comment line.
func (f *sseFramer) heartbeat(time.Time) error {
	_, err := f.WriteString(": keep-alive\n\n")
	return f.stalled(err)
}

// flush implements framer: it sets the socket's write deadline, then
// flushes. A flush that failed a whole window after the deadline was set
// failed because the client took nothing for that long: errStalled.
func (f *sseFramer) flush() error {
	f.armed = time.Now()
	_ = f.conn.SetWriteDeadline(f.armed.Add(f.wait))
	return f.stalled(f.Flush())
}

// close implements framer: a close event with the WebSocket close code of
// the same situation, then a flush.
func (f *sseFramer) close(code int, reason string) {
	if code > 0 {
		_, _ = f.WriteString("event: close\ndata: ")
		_, _ = f.Write(appendClose(nil, code, reason))
		_, _ = f.WriteString("\n\n")
	}
	_ = f.flush()
}

// abort implements framer: the response simply ends.
func (f *sseFramer) abort() {}
