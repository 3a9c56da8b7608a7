//go:build linux

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fasthttp/websocket"
)

// The epoll reader: once a WebSocket client has upgraded and subscribed, its
// socket moves to one of a few reader loops, each owning an epoll instance.
// A loop reads ready sockets with read(2) into one shared buffer and parses
// frames in place, so a frame costs about one read syscall and no goroutine
// wake-up. Each socket has exactly one owner at a time (its dial goroutine
// until the hand-off, then its loop), and only the owner reads or writes it.

const epollSupported = true

// wsPoller is the set of reader loops of a run.
type wsPoller struct {
	loops []*wsLoop
	next  atomic.Uint32
	wg    sync.WaitGroup
}

// newWSPoller starts n reader loops; they run until ctx ends, then close
// their connections (waiting up to a second for the server's close reply).
// A loop waits for ready sockets at most once per batch, so a frame may sit
// in its socket up to batch before it is read (and its latency measured).
func newWSPoller(ctx context.Context, n int, batch time.Duration) (*wsPoller, error) {
	p := &wsPoller{}
	for range max(n, 1) {
		l, err := newWSLoop(batch)
		if err != nil {
			for _, l := range p.loops {
				_ = l.closeEpoll()
			}
			return nil, err
		}
		p.loops = append(p.loops, l)
	}
	for _, l := range p.loops {
		p.wg.Go(func() { l.run(ctx) })
	}
	return p, nil
}

// wait returns once every loop has finished its connections.
func (p *wsPoller) wait() {
	if p != nil {
		p.wg.Wait()
	}
}

// wsConn is one handed-off client.
type wsConn struct {
	e         *env
	l         *wsLoop // the owning loop, once handed off
	fd        int     // a dup of the socket; the net.Conn is closed
	i         int
	st        *clientStats
	cc        *countingConn // the handshake's byte counts
	fr        frameReader
	code      int   // the server's close code, once it sent one
	closeSent bool  // our close frame went out: the server's is the reply
	werr      error // a failed pong or close reply
}

// handoff moves client i's upgraded, subscribed connection to a reader loop,
// which then owns it, its stats and its end. It returns false, having
// changed nothing, when the connection cannot be moved; the caller then
// reads it as before.
func (e *env) handoff(conn *websocket.Conn, cc *countingConn, i int, st *clientStats) bool {
	// The bytes read past the handshake's response (the welcome frame, say)
	// sit in the library's buffer: recover them from the recorded reads.
	rec := cc.stopRecording()
	end := bytes.Index(rec, []byte("\r\n\r\n"))
	if end < 0 {
		return false
	}
	rest := rec[end+4:]
	raw, err := cc.Conn.(syscall.Conn).SyscallConn()
	if err != nil {
		return false
	}
	fd := -1
	cerr := raw.Control(func(s uintptr) {
		r, _, errno := syscall.Syscall(syscall.SYS_FCNTL, s, syscall.F_DUPFD_CLOEXEC, 0)
		if errno == 0 {
			fd = int(r)
		}
	})
	if cerr != nil || fd < 0 {
		return false
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		_ = syscall.Close(fd)
		return false
	}
	// The runtime's poller forgets its fd; the socket lives on in the dup.
	_ = conn.Close()
	c := &wsConn{e: e, fd: fd, i: i, st: st, cc: cc}
	if len(rest) > 0 && !c.consume(rest, false) {
		return true
	}
	e.poll.add(c)
	return true
}

// consume parses bytes read from the socket; it returns false once the
// connection has ended (a close frame, a protocol violation or a failed
// write), having finished it. closing says the run is closing, when ends are
// expected and not counted.
func (c *wsConn) consume(b []byte, closing bool) bool {
	closed, err := c.fr.feed(b, c)
	switch {
	case err != nil:
		c.end(closing, "ws_protocol")
	case c.werr != nil:
		c.end(closing, "ws_write")
	case closed:
		if !closing {
			c.st.closed(c.code)
		}
		c.end(true, "")
	default:
		return true
	}
	return false
}

func (c *wsConn) message(op byte, p []byte) {
	if op != opText {
		return
	}
	if c.e.centrifugo && centrifugoPing(p) && c.werr == nil {
		c.werr = c.writeControl(opText, centrifugoPong)
	}
	c.e.handleFrame(c.i, p, c.st)
}

// ping answers at once: the server closes connections that stay silent.
func (c *wsConn) ping(p []byte) {
	if c.werr == nil {
		c.werr = c.writeControl(opPong, p)
	}
}

// closed echoes the server's close frame, as the WebSocket library does,
// unless it answers ours.
func (c *wsConn) closed(code int) {
	c.code = code
	if !c.closeSent {
		c.closeSent = true
		_ = c.writeControl(opClose, closePayload(code))
	}
}

// sendClose starts the closing handshake from the client's side.
func (c *wsConn) sendClose() error {
	c.closeSent = true
	return c.writeControl(opClose, closePayload(websocket.CloseNormalClosure))
}

// writeControl writes one masked control frame. The tool writes only tiny
// frames on sockets it hardly writes to, so a short write (a full send
// buffer) is reported as an error rather than queued.
func (c *wsConn) writeControl(op byte, payload []byte) error {
	var b [6 + 125]byte
	f := appendClientFrame(b[:0], op, payload, rand.Uint32())
	for {
		n, err := syscall.Write(c.fd, f)
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return fmt.Errorf("write: %w", err)
		case n != len(f):
			return io.ErrShortWrite
		}
		return nil
	}
}

// end closes the socket and hands the client's stats to the collector.
// fail is counted unless quiet.
func (c *wsConn) end(quiet bool, fail string) {
	if fail != "" && !quiet {
		c.st.fail(fail)
	}
	if c.l != nil {
		c.l.remove(c)
	}
	_ = syscall.Close(c.fd)
	c.e.col.open.Add(-1)
	c.st.addBytes(c.cc)
	c.e.col.add(c.st)
}

// wsLoop is one reader loop and the connections it owns.
//
// A loop that reads every frame as it comes (no batch) waits a little
// before most frames. Its epoll instance is then itself registered with the
// Go runtime's poller, so that the loop parks its goroutine instead of
// holding a thread and its P in a blocking epoll_wait: a goroutine blocked
// in a system call makes the runtime's monitor take its P back after 20 µs
// and poll every 20 µs from then on, which took a quarter of the tool's CPU
// at 1,000 clients, on the cores it shares with the server. A batching loop
// nearly always finds sockets ready after its pause, so it waits in
// epoll_wait itself: registered, its instance would wake the runtime's
// poller once per batch for nothing.
type wsLoop struct {
	batch    time.Duration // the shortest time between two waits
	epfd     int
	epf      *os.File        // epfd, pollable; nil for a batching loop
	ep       syscall.RawConn // epf's, to wait on
	deadline time.Time       // of epf's reads
	buf      []byte

	mu       sync.Mutex
	conns    map[int32]*wsConn // by fd
	draining bool              // the run is closing: no more hand-offs
}

// waitMax bounds one wait of a loop, so that it notices the run's end.
const waitMax = 50 * time.Millisecond

// newWSLoop makes a loop with its epoll instance.
func newWSLoop(batch time.Duration) (*wsLoop, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("epoll_create1: %w", err)
	}
	l := &wsLoop{batch: batch, epfd: epfd, conns: map[int32]*wsConn{}, buf: make([]byte, 64<<10)}
	if batch > 0 {
		return l, nil
	}
	// Non-blocking before os.NewFile, which then registers it with the
	// runtime's poller.
	if err := syscall.SetNonblock(epfd, true); err != nil {
		_ = syscall.Close(epfd)
		return nil, fmt.Errorf("epoll fd: %w", err)
	}
	f := os.NewFile(uintptr(epfd), "epoll")
	ep, err := f.SyscallConn()
	if err == nil {
		err = f.SetReadDeadline(time.Now().Add(waitMax)) // fails if the runtime cannot poll it
	}
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("epoll fd: %w", err)
	}
	l.epf, l.ep = f, ep
	return l, nil
}

// closeEpoll closes the loop's epoll instance.
func (l *wsLoop) closeEpoll() error {
	if l.epf != nil {
		return l.epf.Close()
	}
	return syscall.Close(l.epfd)
}

// wait returns the loop's ready sockets' events, waiting until there are
// some or, at the latest, until the read deadline (parked) or for waitMax
// (in epoll_wait); then there are none.
func (l *wsLoop) wait(events []syscall.EpollEvent) (int, error) {
	if l.ep == nil {
		n, err := syscall.EpollWait(l.epfd, events, int(waitMax/time.Millisecond))
		if err == syscall.EINTR {
			return 0, nil
		}
		return n, err
	}
	var n int
	var werr error
	err := l.ep.Read(func(fd uintptr) bool {
		n, werr = syscall.EpollWait(int(fd), events, 0)
		if werr == syscall.EINTR {
			n, werr = 0, nil
		}
		return n > 0 || werr != nil
	})
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return 0, nil
	}
	if err == nil {
		err = werr
	}
	return n, err
}

// add gives c to the next loop, round-robin.
func (p *wsPoller) add(c *wsConn) {
	l := p.loops[p.next.Add(1)%uint32(len(p.loops))]
	l.mu.Lock()
	if l.draining {
		l.mu.Unlock()
		_ = c.sendClose()
		c.end(true, "")
		return
	}
	l.conns[int32(c.fd)] = c
	c.l = l
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(c.fd)}
	err := syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_ADD, c.fd, &ev)
	if err != nil {
		delete(l.conns, int32(c.fd))
		c.l = nil
	}
	l.mu.Unlock()
	if err != nil {
		c.end(false, "ws_epoll")
	}
}

// remove forgets c; end calls it before closing the socket, so that a new
// hand-off reusing the fd number is never forgotten in its place.
func (l *wsLoop) remove(c *wsConn) {
	l.mu.Lock()
	if l.conns[int32(c.fd)] == c {
		delete(l.conns, int32(c.fd))
	}
	l.mu.Unlock()
	_ = syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_DEL, c.fd, nil)
}

// run serves the loop's sockets until ctx ends, then sends every client's
// close and waits up to a second for the replies.
func (l *wsLoop) run(ctx context.Context) {
	defer l.closeEpoll()
	events := make([]syscall.EpollEvent, 256)
	ready := make([]*wsConn, len(events))
	var drainEnd, last time.Time
	for {
		// Waking once per batch interval at most, rather than once per frame or
		// two, is most of what this reader saves under load.
		if l.batch > 0 {
			if d := time.Until(last.Add(l.batch)); d > 0 {
				time.Sleep(d)
			}
			last = time.Now()
		}
		// The deadline is moved on now and then, not before every wait
		// (which would reset a timer per frame).
		if now := time.Now(); l.epf != nil && drainEnd.IsZero() && now.After(l.deadline.Add(-waitMax/2)) {
			l.deadline = now.Add(waitMax)
			_ = l.epf.SetReadDeadline(l.deadline)
		}
		n, err := l.wait(events)
		if err != nil {
			// Cannot wait any more (never seen): end everything now.
			l.mu.Lock()
			for _, c := range l.conns {
				c.st.fail("ws_epoll")
			}
			l.mu.Unlock()
			l.drain()
			l.closeAll()
			return
		}
		l.mu.Lock()
		for k := range n {
			ready[k] = l.conns[events[k].Fd]
		}
		l.mu.Unlock()
		for k := range n {
			if c := ready[k]; c != nil {
				l.service(c)
				ready[k] = nil
			}
		}
		if drainEnd.IsZero() && ctx.Err() != nil {
			drainEnd = time.Now().Add(time.Second)
			if l.epf != nil {
				_ = l.epf.SetReadDeadline(drainEnd)
			}
			l.drain()
		}
		if !drainEnd.IsZero() && (l.open() == 0 || !time.Now().Before(drainEnd)) {
			l.closeAll()
			return
		}
	}
}

// service reads what a ready socket holds: one read per readiness event;
// anything left over makes epoll report the socket again.
func (l *wsLoop) service(c *wsConn) {
	n, err := syscall.Read(c.fd, l.buf)
	if err == syscall.EAGAIN || err == syscall.EINTR {
		return
	}
	if n <= 0 { // EOF or a reset: the server went away without a close frame
		c.end(l.draining, "ws_read")
		return
	}
	c.st.bytes[c.e.clk.now()] += int64(n)
	// The loop writes draining only under mu, and is the only writer.
	c.consume(l.buf[:n], l.draining)
}

// drain stops hand-offs and sends every client's close frame.
func (l *wsLoop) drain() {
	l.mu.Lock()
	l.draining = true
	cs := make([]*wsConn, 0, len(l.conns))
	for _, c := range l.conns {
		cs = append(cs, c)
	}
	l.mu.Unlock()
	for _, c := range cs {
		if c.sendClose() != nil {
			c.end(true, "")
		}
	}
}

func (l *wsLoop) open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns)
}

// closeAll ends the connections whose close reply did not come in time.
func (l *wsLoop) closeAll() {
	l.mu.Lock()
	cs := l.conns
	l.conns = map[int32]*wsConn{}
	l.mu.Unlock()
	for _, c := range cs {
		c.end(true, "")
	}
}
