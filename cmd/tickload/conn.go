package main

import (
	"context"
	"fmt"
	"net"
	"sync/atomic"
	"time"
)

// phase is where the run is: bytes and quotes are attributed to the phase in
// which they arrive, so the report can show the measurement window alone.
type phase int32

const (
	phaseRamp    phase = iota // clients connecting
	phaseMeasure              // the measurement window
	phaseDrain                // after the window, while clients close
	numPhases
)

// clock is the run's current phase, read by every client on every frame.
type clock struct{ p atomic.Int32 }

func (c *clock) now() phase  { return phase(c.p.Load()) }
func (c *clock) set(p phase) { c.p.Store(int32(p)) }

// countingConn counts the bytes read from the socket, so headers, chunk
// framing and WebSocket framing are all included. Only the client's reader
// goroutine reads, so the counters need no synchronisation; they are read
// after that goroutine has returned.
type countingConn struct {
	net.Conn
	clk       *clock
	bytes     [numPhases]int64
	recording bool   // keep a copy of what is read (the WebSocket handshake)
	rec       []byte // that copy
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.bytes[c.clk.now()] += int64(n)
	if c.recording {
		c.rec = append(c.rec, p[:n]...)
	}
	return n, err
}

// stopRecording ends the copy of what is read and returns it.
func (c *countingConn) stopRecording() []byte {
	rec := c.rec
	c.recording, c.rec = false, nil
	return rec
}

// dialer opens TCP connections to the server from a spread of loopback
// source addresses (127.0.0.2 ...), so the server's per-IP connection caps
// and the ephemeral port range (about 28,000 ports per source address) do
// not limit how many clients one machine can open.
type dialer struct {
	server    string // host:port, always a loopback address
	sourceIPs int    // how many source addresses to use; 0 means the kernel's choice
	timeout   time.Duration
}

// localAddr is the source address of client i.
func (d *dialer) localAddr(i int) *net.TCPAddr {
	if d.sourceIPs <= 0 {
		return nil
	}
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+i%d.sourceIPs))}
}

// dial opens a connection for client i and wraps it to count bytes.
func (d *dialer) dial(ctx context.Context, i int, clk *clock) (*countingConn, error) {
	nd := net.Dialer{Timeout: d.timeout, LocalAddr: d.localAddr(i)}
	c, err := nd.DialContext(ctx, "tcp", d.server)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", d.server, err)
	}
	return &countingConn{Conn: c, clk: clk}, nil
}
