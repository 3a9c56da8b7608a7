package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"
)

// runSSE is one Server-Sent Events client on GET /api/v1/stream. It speaks
// HTTP/1.1 itself over a counted socket, so the byte count includes the
// response headers and the chunked framing, and it needs no goroutine beyond
// its reader.
func (e *env) runSSE(ctx context.Context, i int, st *clientStats) {
	conn, err := e.dialer.dial(ctx, i, e.clk)
	if err != nil {
		if ctx.Err() == nil {
			st.fail("dial")
		}
		e.attempt(false)
		return
	}
	defer st.addBytes(conn)
	defer conn.Close()
	path := "/api/v1/stream?symbols=" + e.syms[i]
	_ = conn.SetDeadline(time.Now().Add(e.cfg.Timeout))
	if _, err := conn.Write(e.request(path, i, "Accept: text/event-stream\r\n")); err != nil {
		st.fail("http_write")
		e.attempt(false)
		return
	}
	br := bufio.NewReaderSize(conn, 2048)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		if ctx.Err() == nil {
			st.fail("http_read")
		}
		e.attempt(false)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		st.fail("http_" + strconv.Itoa(resp.StatusCode))
		e.attempt(false)
		return
	}
	_ = conn.SetDeadline(time.Time{})
	stop := context.AfterFunc(ctx, func() { _ = conn.SetReadDeadline(time.Now()) })
	defer stop()
	e.attempt(true)
	st.connected = true
	e.col.open.Add(1)
	defer e.col.open.Add(-1)

	// resp.Body undoes the chunked encoding; events are read line by line.
	lines := bufio.NewReaderSize(resp.Body, 4096)
	var event, data []byte
	for {
		line, err := readLine(lines)
		if err != nil {
			if ctx.Err() == nil {
				if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
					st.fail("sse_eof")
				} else {
					st.fail("sse_read")
				}
			}
			return
		}
		switch {
		case len(line) == 0: // end of an event
			if len(data) > 0 {
				e.handleEvent(i, event, data, st)
			}
			event, data = event[:0], data[:0]
		case line[0] == ':': // comment, e.g. a heartbeat
		case bytes.HasPrefix(line, []byte("data:")):
			if len(data) > 0 {
				data = append(data, '\n')
			}
			data = append(data, bytes.TrimPrefix(line[5:], []byte(" "))...)
		case bytes.HasPrefix(line, []byte("event:")):
			event = append(event[:0], bytes.TrimSpace(line[6:])...)
		}
	}
}

// handleEvent accounts for one SSE event: the data is the WebSocket
// protocol's frame; the event name stands in when the data has no "type".
func (e *env) handleEvent(i int, event, data []byte, st *clientStats) {
	if frameType(data) != nil {
		e.handleFrame(i, data, st)
		return
	}
	switch string(event) {
	case "quotes":
		e.countQuotes(i, data, st)
	case "error":
		st.fail("error_event_" + string(frameCode(data)))
	}
}

// readLine returns the next line without its line ending (LF or CRLF). The
// result is valid until the next call; lines longer than the buffer are
// assembled in a fresh slice.
func readLine(r *bufio.Reader) ([]byte, error) {
	line, err := r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		long := append([]byte(nil), line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = r.ReadSlice('\n')
			long = append(long, line...)
		}
		line = long
	}
	if err != nil {
		return nil, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

// request builds a GET request for path with the client's Bearer token and
// any extra header lines (each ending in CRLF).
func (e *env) request(path string, i int, extra string) []byte {
	return []byte("GET " + path + " HTTP/1.1\r\nHost: " + e.host +
		"\r\nAuthorization: Bearer " + e.token(i) + "\r\nUser-Agent: tickload\r\n" + extra + "\r\n")
}
