package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/fasthttp/websocket"
)

// runWS is one WebSocket client: dial with a Bearer token and subscribe to
// the client's symbols. Then, with the epoll reader, it hands the socket to
// a reader loop and returns; otherwise it reads until ctx ends, on its own
// goroutine (the close on cancel runs in a short-lived AfterFunc). Either
// way the client's stats reach the collector when its connection ends.
func (e *env) runWS(ctx context.Context, i int, st *clientStats) {
	var cc *countingConn
	d := websocket.Dialer{
		NetDialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			c, err := e.streamDialer().dial(ctx, i, e.clk)
			if err == nil {
				c.recording = e.poll != nil
				cc = c
			}
			return c, err
		},
		HandshakeTimeout: e.cfg.Timeout,
		ReadBufferSize:   2048,
		WriteBufferSize:  512,
		WriteBufferPool:  e.wbuf,
	}
	hdr := http.Header{}
	if !e.centrifugo {
		hdr.Set("Authorization", "Bearer "+e.token(i))
	}
	hdr.Set("Origin", e.origin)
	conn, resp, err := d.DialContext(ctx, e.wsURL, hdr)
	if err != nil {
		switch {
		case ctx.Err() != nil:
		case resp != nil:
			st.fail("ws_upgrade_" + strconv.Itoa(resp.StatusCode))
		default:
			st.fail("dial")
		}
		e.attempt(false)
		st.addBytes(cc)
		e.col.add(st)
		return
	}
	if msg := e.subscribeMsg(i); msg != nil {
		if err := conn.WriteMessage(websocket.TextMessage, msg); err != nil {
			_ = conn.Close()
			st.fail("ws_write")
			e.attempt(false)
			st.addBytes(cc)
			e.col.add(st)
			return
		}
	}
	e.attempt(true)
	st.connected = true
	e.col.open.Add(1)
	if e.poll != nil && e.handoff(conn, cc, i, st) {
		return // the reader loop owns the client now
	}
	cc.stopRecording()
	e.readWS(ctx, conn, i, st)
	_ = conn.Close()
	e.col.open.Add(-1)
	st.addBytes(cc) // after the last read
	e.col.add(st)
}

// streamDialer opens the ws clients' connections: to Centrifugo in that
// mode, else to the server.
func (e *env) streamDialer() *dialer {
	if e.wsDialer != nil {
		return e.wsDialer
	}
	return e.dialer
}

// subscribeMsg is client i's first frame, or nil when it subscribes to
// nothing: tickerd's subscribe message, or Centrifugo's connect and
// subscribe commands.
func (e *env) subscribeMsg(i int) []byte {
	syms := e.syms[i]
	switch {
	case e.centrifugo:
		return centrifugoSubscribe(syms)
	case syms == "":
		return nil
	}
	return tickerdSubscribe(syms)
}

// tickerdSubscribe is tickerd's subscribe message for syms (comma-joined).
func tickerdSubscribe(syms string) []byte {
	return []byte(`{"type":"subscribe","id":1,"symbols":["` + strings.ReplaceAll(syms, ",", `","`) + `"]}`)
}

// readWS reads a connection on the calling goroutine until ctx ends or the
// connection does.
func (e *env) readWS(ctx context.Context, conn *websocket.Conn, i int, st *clientStats) {
	stop := context.AfterFunc(ctx, func() {
		_ = conn.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		_ = conn.SetReadDeadline(time.Now().Add(time.Second))
	})
	defer stop()

	buf := make([]byte, 0, 2048)
	for {
		mt, r, err := conn.NextReader()
		if err != nil {
			if ctx.Err() != nil {
				return // we are closing: whatever the server answered is fine
			}
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				st.closed(ce.Code)
			} else {
				st.fail("ws_read")
			}
			return
		}
		if mt != websocket.TextMessage {
			continue // NextReader discards what we don't read
		}
		if buf, err = readAllInto(r, buf[:0]); err != nil {
			continue // the next NextReader reports the connection's state
		}
		if e.centrifugo && centrifugoPing(buf) {
			_ = conn.WriteMessage(websocket.TextMessage, centrifugoPong)
		}
		e.handleFrame(i, buf, st)
	}
}

// handleFrame accounts for one JSON frame of the WebSocket protocol (the SSE
// client passes its event data here too). Unknown types are ignored, as the
// protocol asks.
func (e *env) handleFrame(i int, frame []byte, st *clientStats) {
	if e.centrifugo {
		e.centrifugoFrame(i, frame, st)
		return
	}
	switch string(frameType(frame)) { // no allocation: compiler-recognised conversion
	case "quotes":
		e.countQuotes(i, frame, st)
	case "error":
		st.fail("error_frame_" + string(frameCode(frame)))
	}
}

// countQuotes counts the quotes of a frame, follows each symbol's seq and,
// inside the measurement window, records each tick's end-to-end latency.
// Snapshots are counted apart and never enter the latency histogram: their
// ts is old by design.
func (e *env) countQuotes(i int, frame []byte, st *clientStats) {
	now := time.Now().UnixNano()
	ph := e.clk.now()
	h := e.lat[i%len(e.lat)]
	n := 0
	scanQuotes(frame, func(q scannedQuote) {
		st.seq.see(ph, q)
		if q.snapshot {
			st.snapshots++
			return
		}
		n++
		if ph == phaseMeasure {
			h.Record(time.Duration(now - q.ts*int64(time.Millisecond)))
			e.first.see(q, now)
		}
	})
	if n > 0 {
		st.quotes[ph] += int64(n)
		st.frames[ph]++
	}
}

// readAllInto appends everything r yields to buf, growing it as needed, so
// a client reuses one buffer for all its frames.
func readAllInto(r io.Reader, buf []byte) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}
