package web

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
)

// wsFrame is any server → client frame, decoded loosely.
type wsFrame struct {
	Type     string          `json:"type"`
	ID       json.RawMessage `json:"id"`
	User     string          `json:"user"`
	Code     string          `json:"code"`
	Message  string          `json:"message"`
	Symbols  []string        `json:"symbols"`
	Channels []string        `json:"channels"`
	Data     json.RawMessage `json:"data"`
	Raw      []byte          `json:"-"`
}

// wsQuote is a quote as the protocol sends it.
type wsQuote struct {
	Symbol   string      `json:"symbol"`
	Price    json.Number `json:"price"`
	TS       int64       `json:"ts"`
	Seq      uint64      `json:"seq"`
	Snapshot bool        `json:"snapshot"`
	Dropped  uint64      `json:"dropped"`
}

func (f wsFrame) quotes(tb testing.TB) []wsQuote {
	tb.Helper()
	var qs []wsQuote
	if err := json.Unmarshal(f.Data, &qs); err != nil {
		tb.Fatalf("quotes frame %s: %v", f.Raw, err)
	}
	return qs
}

// wsDialOpts tune dialWS.
type wsDialOpts struct {
	token  string // sent as Bearer on the upgrade
	cookie string // sent as the session cookie on the upgrade
	origin string
	rcvBuf int // client socket receive buffer, 0 = system default
}

// dialWS opens a WebSocket to ts. It returns the handshake response even
// when the upgrade is refused.
func dialWS(tb testing.TB, ts *testServer, o wsDialOpts) (*websocket.Conn, *http.Response, error) {
	tb.Helper()
	h := http.Header{}
	if o.token != "" {
		h.Set("Authorization", "Bearer "+o.token)
	}
	if o.cookie != "" {
		h.Set("Cookie", sessionCookie+"="+o.cookie)
	}
	if o.origin != "" {
		h.Set("Origin", o.origin)
	}
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	if o.rcvBuf > 0 {
		nd := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
			var serr error
			err := rc.Control(func(fd uintptr) {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, o.rcvBuf)
			})
			return errors.Join(err, serr)
		}}
		d.NetDial = nd.Dial
	}
	conn, resp, err := d.Dial("ws://"+ts.Addr+"/api/v1/ws", h)
	if conn != nil {
		tb.Cleanup(func() { conn.Close() })
	}
	return conn, resp, err
}

// mustDialWS dials with a token and reads the welcome frame.
func mustDialWS(tb testing.TB, ts *testServer, token string) *websocket.Conn {
	tb.Helper()
	conn, resp, err := dialWS(tb, ts, wsDialOpts{token: token})
	if err != nil {
		tb.Fatalf("dial: %v (response %v)", err, resp)
	}
	if f := readFrame(tb, conn); f.Type != "welcome" {
		tb.Fatalf("first frame %s, want welcome", f.Raw)
	}
	return conn
}

// readFrame reads one frame within 10 s.
func readFrame(tb testing.TB, conn *websocket.Conn) wsFrame {
	tb.Helper()
	f, err := tryReadFrame(conn, 10*time.Second)
	if err != nil {
		tb.Fatalf("read frame: %v", err)
	}
	return f
}

func tryReadFrame(conn *websocket.Conn, timeout time.Duration) (wsFrame, error) {
	_ = conn.SetReadDeadline(time.Now().Add(timeout))
	mt, b, err := conn.ReadMessage()
	if err != nil {
		return wsFrame{}, err
	}
	var f wsFrame
	if mt != websocket.TextMessage {
		return f, errors.New("binary frame")
	}
	checkServerMessage(b)
	if err := json.Unmarshal(b, &f); err != nil {
		return f, err
	}
	f.Raw = b
	return f, nil
}

// readUntil reads frames until one of type typ arrives (others are
// skipped) within 10 s.
func readUntil(tb testing.TB, conn *websocket.Conn, typ string) wsFrame {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		f, err := tryReadFrame(conn, time.Until(deadline))
		if err != nil {
			tb.Fatalf("waiting for %q: %v", typ, err)
		}
		if f.Type == typ {
			return f
		}
	}
	tb.Fatalf("no %q frame within 10s", typ)
	return wsFrame{}
}

// expectClose reads until the server closes and checks the close code.
func expectClose(tb testing.TB, conn *websocket.Conn, code int, reasonPart string) {
	tb.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		_ = conn.SetReadDeadline(deadline)
		_, _, err := conn.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) {
			tb.Fatalf("connection ended with %v, want close %d", err, code)
		}
		if ce.Code != code || !strings.Contains(ce.Text, reasonPart) {
			tb.Fatalf("close %d %q, want %d containing %q", ce.Code, ce.Text, code, reasonPart)
		}
		return
	}
}

// send writes a well-formed client message: it must match the stream
// contract (asyncapi.yaml).
func send(tb testing.TB, conn *websocket.Conn, msg string) {
	tb.Helper()
	checkClientMessage([]byte(msg))
	sendRaw(tb, conn, msg)
}

// sendRaw writes a message as is, malformed or not.
func sendRaw(tb testing.TB, conn *websocket.Conn, msg string) {
	tb.Helper()
	_ = conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if err := conn.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
		tb.Fatalf("send %s: %v", msg, err)
	}
}

// dialReluctant opens a WebSocket to ts with token and a 4 KiB socket
// receive buffer, so that the server's writes soon find it full, and
// subscribes it to every symbol of the market. It returns the connection
// after the welcome and the symbols; the caller decides when it reads.
func dialReluctant(tb testing.TB, ts *testServer, token string) (*websocket.Conn, []string) {
	tb.Helper()
	conn, _, err := dialWS(tb, ts, wsDialOpts{token: token, rcvBuf: 4096})
	if err != nil {
		tb.Fatal(err)
	}
	readUntil(tb, conn, "welcome")
	return conn, subscribeAll(tb, ts, conn)
}

// subscribeAll subscribes conn to every symbol of ts's market and returns
// them.
func subscribeAll(tb testing.TB, ts *testServer, conn *websocket.Conn) []string {
	tb.Helper()
	var all []string
	for _, s := range ts.Market.Symbols() {
		all = append(all, s.Ticker)
	}
	allJSON, _ := json.Marshal(all)
	send(tb, conn, `{"type":"subscribe","symbols":`+string(allJSON)+`}`)
	return all
}
