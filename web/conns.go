package web

import (
	"container/list"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"
)

// Defaults of the connection caps (Config.MaxConns, Config.MaxConnsPerIP).
const (
	// DefaultMaxConnsPerIP leaves room beside the 100 streams one IP may
	// hold (Config.WSMaxConnsPerIP) for its REST keep-alive connections.
	DefaultMaxConnsPerIP = 256

	// fdHeadroomMin and fdHeadroomDiv keep descriptors back from the
	// open-file limit for the database, logs and the debug listener: a
	// tenth of the limit, and never fewer than 64.
	fdHeadroomMin = 64
	fdHeadroomDiv = 10
)

// Reasons a connection is refused (label values of
// tickerd_connections_refused_total).
const (
	reasonTotal   = "total"   // Config.MaxConns connections are open
	reasonPerIP   = "per_ip"  // Config.MaxConnsPerIP connections are open from the client's IP
	reasonEMFILE  = "emfile"  // accept failed: the process (EMFILE) or system (ENFILE) is out of descriptors
	reasonClosing = "closing" // the server is shutting down (not counted)
)

// DefaultMaxConns is the connection cap derived from the process's current
// soft limit on open files: the limit less a tenth of it (at least 64
// descriptors), so that a flood of idle sockets cannot take the last
// descriptors the database and logs need. It is 0 (no cap) when the limit
// cannot be read.
func DefaultMaxConns() int {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur == 0 {
		return 0
	}
	return maxConnsFor(lim.Cur)
}

// maxConnsFor is DefaultMaxConns for a soft limit of soft descriptors.
func maxConnsFor(soft uint64) int {
	if soft > 1<<30 {
		soft = 1 << 30 // "unlimited"
	}
	headroom := max(soft/fdHeadroomDiv, fdHeadroomMin)
	if soft <= headroom {
		return 1
	}
	return int(soft - headroom)
}

// newConnGrace is how long a new connection may stay silent before it
// counts as idle and may be closed under pressure (net/http's rule too).
const newConnGrace = 5 * time.Second

// conns counts the server's open connections, refuses those over the caps
// and, when the count passes a high-water mark (nine tenths of the total
// cap), closes idle connections, oldest first, to make room: keep-alive
// connections between requests, and connections that have sent nothing for
// newConnGrace. Its methods are safe for concurrent use; state changes come
// from fasthttp's ConnState hook.
type conns struct {
	maxTotal  int // 0: no total cap
	maxPerIP  int // 0: no per-IP cap
	highWater int // evict idle connections from this many open
	grace     time.Duration

	mu      sync.Mutex
	closing bool // shutdown has begun: admit nothing
	open    int
	perIP   map[netip.Addr]int
	idle    list.List // *trackedConn between requests, oldest first
	fresh   list.List // *trackedConn that have not sent a byte yet, oldest first

	refusedTotal, refusedPerIP, refusedEMFILE atomic.Uint64 // by reason
	evicted                                   atomic.Uint64
}

func newConns(maxTotal, maxPerIP int) *conns {
	t := &conns{maxTotal: maxTotal, maxPerIP: maxPerIP, grace: newConnGrace, perIP: make(map[netip.Addr]int)}
	if maxTotal > 0 {
		t.highWater = max(maxTotal*9/10, 1)
	}
	return t
}

// trackedConn is an accepted connection that holds one slot of conns until
// it is closed; Close releases the slot exactly once however often it is
// called, and whoever calls it.
type trackedConn struct {
	net.Conn
	t     *conns
	ip    netip.Addr
	heard atomic.Bool // the client has sent at least one byte
	shed  atomic.Bool // closed by conns (evicted or shut down), not by its reader

	// guarded by t.mu
	released bool
	in       *list.List    // t.idle, t.fresh or nil
	elem     *list.Element // its element in in
	since    time.Time     // when it entered in
}

// SyscallConn returns the socket under the connection, so that a stream
// can write to it without waiting (see stream's direct writes); it fails
// when the connection has no socket of its own.
func (c *trackedConn) SyscallConn() (syscall.RawConn, error) {
	sc, ok := c.Conn.(syscall.Conn)
	if !ok {
		return nil, errors.New("connection has no socket")
	}
	return sc.SyscallConn()
}

// Read reads from the connection; the first byte takes it off the list of
// silent connections. A connection conns has closed reads as ended by the
// client (io.EOF), so that fasthttp closes it quietly instead of answering
// a read error.
func (c *trackedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if err != nil && c.shed.Load() {
		err = io.EOF
	}
	if n > 0 && !c.heard.Load() {
		c.heard.Store(true)
		c.t.mu.Lock()
		if c.in == &c.t.fresh {
			c.t.unlinkLocked(c)
		}
		c.t.mu.Unlock()
	}
	return n, err
}

// Close closes the connection and releases its slot.
func (c *trackedConn) Close() error {
	err := c.Conn.Close()
	c.t.mu.Lock()
	c.t.releaseLocked(c)
	c.t.mu.Unlock()
	return err
}

// admit takes a slot for nc, or returns the reason it is refused. When the
// count is at the high-water mark it first closes idle connections.
func (t *conns) admit(nc net.Conn, now time.Time) (*trackedConn, string) {
	ip := remoteIP(nc)
	var victims []*trackedConn
	t.mu.Lock()
	if t.closing {
		t.mu.Unlock()
		return nil, reasonClosing
	}
	if t.maxPerIP > 0 && ip.IsValid() && t.perIP[ip] >= t.maxPerIP {
		t.mu.Unlock()
		t.refusedPerIP.Add(1)
		return nil, reasonPerIP
	}
	if t.maxTotal > 0 && t.open >= t.highWater {
		victims = t.evictLocked(t.open-t.highWater+1, now)
	}
	if t.maxTotal > 0 && t.open >= t.maxTotal {
		t.mu.Unlock()
		closeAll(victims)
		t.refusedTotal.Add(1)
		return nil, reasonTotal
	}
	c := &trackedConn{Conn: nc, t: t, ip: ip}
	c.in, c.elem, c.since = &t.fresh, t.fresh.PushBack(c), now
	t.open++
	if ip.IsValid() {
		t.perIP[ip]++
	}
	t.mu.Unlock()
	closeAll(victims)
	return c, ""
}

// acceptFailed records that accept ran out of descriptors and closes a few
// idle connections to free some.
func (t *conns) acceptFailed(now time.Time) {
	t.refusedEMFILE.Add(1)
	t.mu.Lock()
	victims := t.evictLocked(evictOnEMFILE, now)
	t.mu.Unlock()
	closeAll(victims)
}

// evictOnEMFILE is how many idle connections one failed accept closes.
const evictOnEMFILE = 16

// evictLocked releases up to n idle connections, oldest first: keep-alive
// connections between requests before connections silent for t.grace. The
// caller closes them after unlocking t.mu (their Close then finds them
// released). Each connection is evicted at most once, so the work is
// amortised O(1) per accepted connection.
func (t *conns) evictLocked(n int, now time.Time) []*trackedConn {
	var victims []*trackedConn
	for len(victims) < n {
		e := t.idle.Front()
		if e == nil {
			e = t.fresh.Front()
			if e == nil || now.Sub(e.Value.(*trackedConn).since) < t.grace {
				break
			}
		}
		c := e.Value.(*trackedConn)
		t.releaseLocked(c)
		victims = append(victims, c)
	}
	t.evicted.Add(uint64(len(victims)))
	return victims
}

// releaseLocked gives c's slot back, once.
func (t *conns) releaseLocked(c *trackedConn) {
	t.unlinkLocked(c)
	if c.released {
		return
	}
	c.released = true
	t.open--
	if c.ip.IsValid() {
		if n := t.perIP[c.ip] - 1; n > 0 {
			t.perIP[c.ip] = n
		} else {
			delete(t.perIP, c.ip)
		}
	}
}

func (t *conns) unlinkLocked(c *trackedConn) {
	if c.in != nil {
		c.in.Remove(c.elem)
		c.in, c.elem = nil, nil
	}
}

// setState is fasthttp's ConnState hook: it keeps the list of keep-alive
// connections between requests that evictLocked closes first. O(1).
// fasthttp reports a new connection active before it has read anything, so
// silent connections are tracked by Read instead. A TLS connection is
// tracked by the connection under it.
func (t *conns) setState(nc net.Conn, state fasthttp.ConnState) {
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	c, ok := nc.(*trackedConn)
	if !ok || state == fasthttp.StateNew {
		return
	}
	t.mu.Lock()
	if c.in == &t.idle {
		t.unlinkLocked(c)
	}
	if state == fasthttp.StateIdle && !c.released {
		t.unlinkLocked(c)
		c.in, c.elem, c.since = &t.idle, t.idle.PushBack(c), time.Now()
	}
	t.mu.Unlock()
}

// shutdown admits no more connections and closes every one that has not
// sent a byte: they hold no request, and fasthttp, which counts them as
// active, would otherwise wait for their read timeout before it returns.
func (t *conns) shutdown() {
	t.mu.Lock()
	t.closing = true
	var victims []*trackedConn
	for e := t.fresh.Front(); e != nil; e = t.fresh.Front() {
		c := e.Value.(*trackedConn)
		t.releaseLocked(c)
		victims = append(victims, c)
	}
	t.mu.Unlock()
	closeAll(victims)
}

// stats returns the open count and the cap, for the metrics.
func (t *conns) stats() (open, maxTotal int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.open, t.maxTotal
}

// openFrom returns the connections open from ip (for tests).
func (t *conns) openFrom(ip netip.Addr) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.perIP[ip]
}

// addrs returns how many client addresses hold connections (for tests).
func (t *conns) addrs() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.perIP)
}

// remoteIP is the client address of nc without its port, IPv4 unmapped;
// the zero Addr when nc is not TCP.
func remoteIP(nc net.Conn) netip.Addr {
	if a, ok := nc.RemoteAddr().(*net.TCPAddr); ok {
		return a.AddrPort().Addr().Unmap()
	}
	return netip.Addr{}
}

// closeAll closes connections conns has released.
func closeAll(cs []*trackedConn) {
	for _, c := range cs {
		c.shed.Store(true)
		_ = c.Conn.Close()
	}
}
