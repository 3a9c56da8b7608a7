package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Backoff of accept after running out of descriptors: like net/http, 5 ms
// doubling up to 1 s, reset by the next accepted connection.
const (
	acceptBackoffMin = 5 * time.Millisecond
	acceptBackoffMax = time.Second
)

// refusalLogEvery throttles the warnings about refused connections.
const refusalLogEvery = 10 * time.Second

// listener wraps the server's net.Listener. Accept never fails for lack of
// descriptors (EMFILE, ENFILE, ENOBUFS, ENOMEM): it backs off and retries,
// as net/http does, since fasthttp would end Serve on such an error. It
// refuses connections over the caps of conns with a short problem response
// and closes them at once, and hands out *trackedConn, whose Close frees
// the slot.
type listener struct {
	net.Listener
	conns *conns
	log   *slog.Logger
	// quietRefusals closes refused connections without the canned
	// plain-text answer (set when connections are TLS).
	quietRefusals bool

	done      chan struct{} // closed by Close: ends a backoff sleep
	closeOnce sync.Once
	// unix nanoseconds of the last warning of each kind
	lastEMFILEWarn, lastRefusalWarn atomic.Int64
}

func newListener(ln net.Listener, c *conns, log *slog.Logger) *listener {
	return &listener{Listener: ln, conns: c, log: log, done: make(chan struct{})}
}

// Accept returns the next connection within the caps.
func (l *listener) Accept() (net.Conn, error) {
	var delay time.Duration
	for {
		nc, err := l.Listener.Accept()
		if err != nil {
			if !outOfDescriptors(err) {
				return nil, err
			}
			delay = nextAcceptBackoff(delay)
			l.conns.acceptFailed(time.Now())
			l.warn(&l.lastEMFILEWarn, "accept: out of file descriptors; retrying", "retry_in", delay, "err", err)
			t := time.NewTimer(delay)
			select {
			case <-t.C:
				continue
			case <-l.done:
				t.Stop()
				return nil, net.ErrClosed
			}
		}
		delay = 0
		c, reason := l.conns.admit(nc, time.Now())
		if c != nil {
			return c, nil
		}
		if l.quietRefusals {
			_ = nc.Close()
		} else {
			refuse(nc, reason)
		}
		if reason == reasonClosing {
			continue
		}
		l.warn(&l.lastRefusalWarn, "connection refused: limit reached", "reason", reason, "remote", nc.RemoteAddr().String())
	}
}

// nextAcceptBackoff is the wait after one that lasted d (0 at first).
func nextAcceptBackoff(d time.Duration) time.Duration {
	return min(max(2*d, acceptBackoffMin), acceptBackoffMax)
}

// Close closes the listener and ends a backoff in progress.
func (l *listener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// warn logs at most once per refusalLogEvery for each last (the time of
// the previous warning of its kind): a flood must not flood the log.
func (l *listener) warn(last *atomic.Int64, msg string, args ...any) {
	now, prev := time.Now().UnixNano(), last.Load()
	if now-prev < int64(refusalLogEvery) || !last.CompareAndSwap(prev, now) {
		return
	}
	l.log.Warn(msg, args...)
}

// outOfDescriptors reports whether an accept error is a shortage of
// descriptors or kernel memory, which ends when connections close.
func outOfDescriptors(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) ||
		errors.Is(err, syscall.ENOBUFS) || errors.Is(err, syscall.ENOMEM)
}

// Canned answers to refused connections, written before they are closed:
// the client has not been read from, so this is best effort.
var (
	refusedPerIPResponse = cannedProblem(http.StatusTooManyRequests, codeTooManyConnections,
		"too many connections from your address; close some and retry")
	refusedTotalResponse = cannedProblem(http.StatusServiceUnavailable, codeServerBusy,
		"the server holds as many connections as it can; retry shortly")
	refusedClosingResponse = cannedProblem(http.StatusServiceUnavailable, codeNotReady,
		"the server is shutting down")
)

// refuseWriteTimeout bounds writing a canned answer (a new socket's send
// buffer is empty, so the write does not block in practice).
const refuseWriteTimeout = 100 * time.Millisecond

func refuse(nc net.Conn, reason string) {
	resp := refusedTotalResponse
	switch reason {
	case reasonPerIP:
		resp = refusedPerIPResponse
	case reasonClosing:
		resp = refusedClosingResponse
	}
	_ = nc.SetWriteDeadline(time.Now().Add(refuseWriteTimeout))
	_, _ = nc.Write(resp)
	_ = nc.Close()
}

// cannedProblem is a whole HTTP/1.1 response with a problem body that
// closes the connection.
func cannedProblem(status int, code, detail string) []byte {
	body, err := json.Marshal(problem{
		Type: problemTypePrefix + code, Title: http.StatusText(status), Status: status, Detail: detail, Code: code,
	})
	if err != nil {
		panic(err)
	}
	return fmt.Appendf(nil, "HTTP/1.1 %d %s\r\nContent-Type: application/problem+json\r\nContent-Length: %d\r\n"+
		"Retry-After: 1\r\nConnection: close\r\n\r\n%s", status, http.StatusText(status), len(body), body)
}
