package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
)

// recSink records what a frameReader reports, one line per event.
type recSink struct{ events []string }

func (s *recSink) message(op byte, p []byte) {
	s.events = append(s.events, fmt.Sprintf("msg %d %s", op, p))
}
func (s *recSink) ping(p []byte)   { s.events = append(s.events, "ping "+string(p)) }
func (s *recSink) closed(code int) { s.events = append(s.events, fmt.Sprintf("close %d", code)) }

// srvFrame encodes an unmasked server frame; lenBits forces the 16- or 64-bit
// length encoding (0: the shortest).
func srvFrame(fin bool, op byte, payload string, lenBits int) []byte {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	n := len(payload)
	var b []byte
	switch {
	case lenBits == 64 || (lenBits == 0 && n > 0xffff):
		b = binary.BigEndian.AppendUint64([]byte{b0, 127}, uint64(n))
	case lenBits == 16 || (lenBits == 0 && n > 125):
		b = binary.BigEndian.AppendUint16([]byte{b0, 126}, uint16(n))
	default:
		b = []byte{b0, byte(n)}
	}
	return append(b, payload...)
}

func cat(frames ...[]byte) []byte { return bytes.Join(frames, nil) }

func TestFrameReader(t *testing.T) {
	big := strings.Repeat("q", 300)
	huge := strings.Repeat("h", 70000)
	for _, tc := range []struct {
		name   string
		stream []byte
		want   []string
		closed bool
		err    bool
	}{
		{"text", srvFrame(true, opText, `{"type":"quotes"}`, 0), []string{`msg 1 {"type":"quotes"}`}, false, false},
		{"two frames", cat(srvFrame(true, opText, "a", 0), srvFrame(true, opBinary, "b", 0)), []string{"msg 1 a", "msg 2 b"}, false, false},
		{"empty payload", srvFrame(true, opText, "", 0), []string{"msg 1 "}, false, false},
		{"16-bit length", srvFrame(true, opText, big, 0), []string{"msg 1 " + big}, false, false},
		{"16-bit length, small payload", srvFrame(true, opText, "xy", 16), []string{"msg 1 xy"}, false, false},
		{"64-bit length", srvFrame(true, opText, huge, 0), []string{"msg 1 " + huge}, false, false},
		{"64-bit length, small payload", srvFrame(true, opText, "xyz", 64), []string{"msg 1 xyz"}, false, false},
		{"fragmented", cat(srvFrame(false, opText, "ab", 0), srvFrame(false, opContinuation, "cd", 16), srvFrame(true, opContinuation, "ef", 0)),
			[]string{"msg 1 abcdef"}, false, false},
		{"ping between fragments", cat(srvFrame(false, opText, "ab", 0), srvFrame(true, opPing, "p1", 0), srvFrame(true, opContinuation, "cd", 0), srvFrame(true, opText, "z", 0)),
			[]string{"ping p1", "msg 1 abcd", "msg 1 z"}, false, false},
		{"ping and pong", cat(srvFrame(true, opPing, "", 0), srvFrame(true, opPong, "x", 0), srvFrame(true, opPing, "hb", 0)), []string{"ping ", "ping hb"}, false, false},
		{"close with code", cat(srvFrame(true, opText, "a", 0), srvFrame(true, opClose, "\x03\xf0policy", 0), srvFrame(true, opText, "after", 0)),
			[]string{"msg 1 a", "close 1008"}, true, false},
		{"close without code", srvFrame(true, opClose, "", 0), []string{"close 1005"}, true, false},
		{"close with one byte", srvFrame(true, opClose, "x", 0), nil, false, true},
		{"masked", []byte{0x81, 0x81, 1, 2, 3, 4, 'a'}, nil, false, true},
		{"reserved bit", []byte{0xc1, 0x01, 'a'}, nil, false, true},
		{"unknown opcode", srvFrame(true, 0x3, "a", 0), nil, false, true},
		{"fragmented ping", srvFrame(false, opPing, "a", 0), nil, false, true},
		{"long ping", srvFrame(true, opPing, big, 0), nil, false, true},
		{"continuation without start", srvFrame(true, opContinuation, "a", 0), nil, false, true},
		{"text inside fragmented", cat(srvFrame(false, opText, "a", 0), srvFrame(true, opText, "b", 0)), nil, false, true},
		{"too long", binary.BigEndian.AppendUint64([]byte{0x81, 127}, 1<<63), nil, false, true},
		{"incomplete", srvFrame(true, opText, big, 0)[:200], nil, false, false},
	} {
		// Every chunk size, from one byte at a time to the whole stream at
		// once, must give the same events: frames split across reads anywhere.
		for chunk := 1; chunk <= len(tc.stream); chunk++ {
			if len(tc.stream) > 1000 && chunk > 3 && chunk%997 != 0 && chunk != len(tc.stream) {
				continue // the huge frame: a spread of chunk sizes is enough
			}
			var r frameReader
			s := &recSink{}
			var closed bool
			var err error
			for off := 0; off < len(tc.stream) && !closed && err == nil; off += chunk {
				piece := append([]byte(nil), tc.stream[off:min(off+chunk, len(tc.stream))]...)
				closed, err = r.feed(piece, s)
			}
			if (err != nil) != tc.err || (err != nil && !errors.Is(err, errFrame)) {
				t.Fatalf("%s, chunk %d: err = %v, want error %v", tc.name, chunk, err, tc.err)
			}
			if tc.err {
				continue
			}
			if closed != tc.closed || !reflect.DeepEqual(s.events, tc.want) {
				t.Fatalf("%s, chunk %d: closed %v events %.200q, want %v %.200q", tc.name, chunk, closed, s.events, tc.closed, tc.want)
			}
		}
	}
}

// TestFrameReaderAgainstLibrary feeds the reader frames written by the
// WebSocket library's server side, proving the wire format matches.
func TestFrameReaderAgainstLibrary(t *testing.T) {
	var r frameReader
	s := &recSink{}
	data := libServerFrames(t)
	for len(data) > 0 {
		n := min(len(data), 7)
		if _, err := r.feed(data[:n], s); err != nil {
			t.Fatal(err)
		}
		data = data[n:]
	}
	want := []string{"msg 1 " + strings.Repeat("w", 200), "ping hb", "msg 1 " + strings.Repeat("v", 70000), "close 1001"}
	if !reflect.DeepEqual(s.events, want) {
		t.Fatalf("events %.300q", s.events)
	}
}

func TestAppendClientFrame(t *testing.T) {
	for _, tc := range []struct {
		op      byte
		payload string
		key     uint32
	}{
		{opPong, "", 0x01020304},
		{opPong, "heartbeat", 0xdeadbeef},
		{opClose, string(closePayload(1000)), 0},
		{opPong, strings.Repeat("x", 125), 0xffffffff},
	} {
		f := appendClientFrame(nil, tc.op, []byte(tc.payload), tc.key)
		if len(f) != 6+len(tc.payload) || f[0] != 0x80|tc.op || f[1] != 0x80|byte(len(tc.payload)) {
			t.Fatalf("header % x", f[:2])
		}
		if binary.BigEndian.Uint32(f[2:6]) != tc.key {
			t.Fatalf("key % x", f[2:6])
		}
		for i := range tc.payload {
			if f[6+i]^f[2+i%4] != tc.payload[i] {
				t.Fatalf("byte %d not masked right", i)
			}
		}
	}
	if closePayload(closeNoStatus) != nil || !bytes.Equal(closePayload(1008), []byte{0x03, 0xf0}) {
		t.Fatal("closePayload")
	}
}

// libServerFrames returns the bytes the library's server side writes, over a
// real socket, for a text message, a ping, a 64-bit-length message and a
// close frame: everything after the handshake's response.
func libServerFrames(t *testing.T) []byte {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		_ = c.WriteMessage(websocket.TextMessage, []byte(strings.Repeat("w", 200)))
		_ = c.WriteMessage(websocket.PingMessage, []byte("hb"))
		_ = c.WriteMessage(websocket.TextMessage, []byte(strings.Repeat("v", 70000)))
		_ = c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "bye"))
	})}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	_, err = io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake: %v %v", resp, err)
	}
	data, err := io.ReadAll(br) // the server closes after the close frame
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// countSink scans each message for quotes, as the load tool does.
type countSink struct{ quotes, pings int }

func (s *countSink) message(_ byte, p []byte) { s.quotes += scanQuotes(p, nil) }
func (s *countSink) ping([]byte)              { s.pings++ }
func (s *countSink) closed(int)               {}

// quotesStream is two quotes frames and a ping, as one read might return it.
func quotesStream() []byte {
	now := time.Now().UnixMilli()
	return cat(srvFrame(true, opText, string(frame([]string{"AAA", "BBB", "CCC"}, now, 1, 0, false)), 0),
		srvFrame(true, opPing, "", 0),
		srvFrame(true, opText, string(frame([]string{"DDD"}, now, 1, 0, false)), 0))
}

func TestFrameReaderAllocatesNothing(t *testing.T) {
	data := quotesStream()
	var r frameReader
	s := &countSink{}
	allocs := testing.AllocsPerRun(100, func() {
		// A split read: the carry buffer is reused once it has grown.
		_, _ = r.feed(data[:50], s)
		_, _ = r.feed(data[50:], s)
	})
	if allocs != 0 || s.quotes != 101*4 || s.pings != 101 {
		t.Fatalf("%v allocs per run, %d quotes, %d pings", allocs, s.quotes, s.pings)
	}
}

func BenchmarkFrameReader(b *testing.B) {
	data := quotesStream()
	var r frameReader
	s := &countSink{}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		_, _ = r.feed(data, s)
	}
}
