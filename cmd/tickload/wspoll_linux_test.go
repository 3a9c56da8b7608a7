//go:build linux

package main

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"
)

// TestHandoffParsesBytesBufferedInHandshake runs one epoll-read client
// against a hand-written server that sends its 101 response, a snapshot and a
// ping in a single write, so the client library's handshake buffers them.
// The client must still count and parse them, answer the ping, report the
// server's close by code, and count at the socket exactly the bytes the
// server wrote. Both kinds of loop do: one that batches (waiting in
// epoll_wait) and one that reads every frame (parked in the runtime's
// poller).
func TestHandoffParsesBytesBufferedInHandshake(t *testing.T) {
	for _, batch := range []time.Duration{time.Millisecond, 0} {
		t.Run("batch "+batch.String(), func(t *testing.T) { testHandoff(t, batch) })
	}
}

func testHandoff(t *testing.T, batch time.Duration) {
	noLeaks(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type result struct {
		written int
		got     []string
		err     error
	}
	done := make(chan result, 1)
	go func() {
		r := result{}
		defer func() { done <- r }()
		c, err := ln.Accept()
		if err != nil {
			r.err = err
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		br := bufio.NewReader(c)
		req, err := http.ReadRequest(br)
		if err != nil {
			r.err = err
			return
		}
		sum := sha1.Sum([]byte(req.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
		first := []byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Accept: " + base64.StdEncoding.EncodeToString(sum[:]) + "\r\n\r\n")
		first = append(first, srvFrame(true, opText, `{"type":"welcome","heartbeat_s":20}`, 0)...)
		first = append(first, srvFrame(true, opText, string(frame([]string{"AAA"}, time.Now().UnixMilli()-5000, 1, 0, true)), 0)...)
		first = append(first, srvFrame(true, opPing, "hb", 0)...)
		write := func(b []byte) {
			n, err := c.Write(b)
			r.written += n
			if err != nil && r.err == nil {
				r.err = err
			}
		}
		write(first)
		for len(r.got) < 2 { // the subscribe and the pong, in either order
			op, p, err := readClientFrame(br)
			if err != nil {
				r.err = err
				return
			}
			r.got = append(r.got, strconv.Itoa(int(op))+" "+string(p))
		}
		write(srvFrame(true, opText, string(frame([]string{"AAA"}, time.Now().UnixMilli(), 2, 0, false)), 0))
		write(srvFrame(true, opClose, "\x03\xf0policy", 0))
		op, p, err := readClientFrame(br) // the echoed close
		r.got = append(r.got, strconv.Itoa(int(op))+" "+string(p))
		if err != nil {
			r.err = err
		}
	}()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr := ln.Addr().String()
	e := &env{
		cfg:    Config{Timeout: 5 * time.Second},
		clk:    &clock{},
		dialer: &dialer{server: addr, timeout: 5 * time.Second},
		origin: "http://" + addr, wsURL: "ws://" + addr + "/api/v1/ws",
		tokens: []string{"tok"}, syms: []string{"AAA"},
		lat: []*Histogram{{}}, col: &collector{}, wbuf: &sync.Pool{},
	}
	if e.poll, err = newWSPoller(ctx, 1, batch); err != nil {
		t.Fatal(err)
	}
	e.clk.set(phaseMeasure)
	e.attempts.Add(1)
	e.runWS(ctx, 0, &clientStats{})
	r := <-done
	if r.err != nil {
		t.Fatalf("server: %v (got %q)", r.err, r.got)
	}
	deadline := time.Now().Add(10 * time.Second)
	for e.col.open.Load() != 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	e.poll.wait()

	s, _ := e.col.total()
	wantGot := map[string]bool{`1 {"type":"subscribe","id":1,"symbols":["AAA"]}`: true, "10 hb": true}
	if len(r.got) != 3 || !wantGot[r.got[0]] || !wantGot[r.got[1]] || r.got[0] == r.got[1] || r.got[2] != "8 \x03\xf0" {
		t.Errorf("server got %q", r.got)
	}
	if e.col.connected.Load() != 1 || e.col.open.Load() != 0 {
		t.Errorf("connected %d open %d", e.col.connected.Load(), e.col.open.Load())
	}
	if s.snapshots != 1 || s.quotes[phaseMeasure] != 1 || s.closes[1008] != 1 || s.errors["close_1008"] != 1 || len(s.errors) != 1 {
		t.Errorf("stats %+v", s)
	}
	if s.bytes[phaseMeasure] != int64(r.written) {
		t.Errorf("counted %d bytes, server wrote %d", s.bytes[phaseMeasure], r.written)
	}
}

// readClientFrame reads one masked client frame of up to 125 bytes.
func readClientFrame(br *bufio.Reader) (op byte, payload []byte, err error) {
	var h [6]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		return 0, nil, err
	}
	n := int(h[1] & 0x7f)
	if h[1]&0x80 == 0 || n > 125 {
		return 0, nil, io.ErrUnexpectedEOF
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(br, p); err != nil {
		return 0, nil, err
	}
	key := binary.BigEndian.Uint32(h[2:])
	for i := range p {
		p[i] ^= byte(key >> (8 * (3 - i%4)))
	}
	return h[0] & 0x0f, p, nil
}
