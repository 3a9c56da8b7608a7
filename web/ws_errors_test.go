package web

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/tickerd/tickerd/web/stream"
)

func TestWSBadInputKeepsConnection(t *testing.T) {
	ts := startTestServer(t, Config{Stream: stream.Config{MaxSymbols: 3, MaxMessagesPerS: 1000}})
	token := ts.register(t, "bob", "correct horse battery")
	conn := mustDialWS(t, ts, token)

	tests := []struct {
		name, msg, code, id string
	}{
		{"invalid json", `{"type":"subscribe",`, "invalid_json", ""},
		{"not an object", `[1,2]`, "invalid_json", ""},
		{"wrong field type", `{"type":"subscribe","id":1,"symbols":"AAPL"}`, "invalid_json", ""},
		{"missing type", `{"id":2}`, "missing_field", "2"},
		{"unknown type", `{"type":"dance","id":3}`, "unknown_type", "3"},
		{"subscribe without symbols", `{"type":"subscribe","id":4}`, "missing_field", "4"},
		{"unknown symbol", `{"type":"subscribe","id":5,"symbols":["AAPL","XYZ"]}`, "unknown_symbol", "5"},
		{"unknown channel", `{"type":"subscribe","id":6,"channels":["news"]}`, "unknown_channel", "6"},
		{"too many symbols", `{"type":"subscribe","id":7,"symbols":["AAPL","MSFT","NVDA","AVGO"]}`, "too_many_symbols", "7"},
		{"bad max_rate_ms", `{"type":"subscribe","id":8,"symbols":["AAPL"],"max_rate_ms":-1}`, "invalid_field", "8"},
		{"bad id", `{"type":"ping","id":{"a":1}}`, "invalid_field", ""},
		{"key in another case", `{"type":"subscribe","id":11,"symbols":["MSFT"],"SYMBOLS":["AAPL"]}`, "invalid_json", ""},
		{"key folded by Unicode", `{"type":"subscribe","id":12,"ſymbols":["AAPL"]}`, "invalid_json", ""},
		{"duplicate key", `{"type":"subscribe","id":13,"symbols":["MSFT"],"symbols":["AAPL"]}`, "invalid_json", ""},
		{"auth again", `{"type":"auth","id":9,"token":"x"}`, "already_authenticated", "9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sendRaw(t, conn, tt.msg)
			f := readUntil(t, conn, "error")
			if f.Code != tt.code || string(f.ID) != tt.id || f.Message == "" {
				t.Fatalf("error frame %s, want code %s id %q", f.Raw, tt.code, tt.id)
			}
			send(t, conn, `{"type":"ping","id":"still-up"}`)
			if f := readUntil(t, conn, "pong"); string(f.ID) != `"still-up"` {
				t.Fatalf("pong = %s", f.Raw)
			}
		})
	}
	// The rejected subscribes changed nothing: all or nothing.
	send(t, conn, `{"type":"subscribe","id":10,"symbols":["MSFT"]}`)
	if f := readUntil(t, conn, "subscriptions"); !slices.Equal(f.Symbols, []string{"MSFT"}) {
		t.Fatalf("subscriptions = %s, want only MSFT (AAPL from the refused requests must not be there)", f.Raw)
	}
	if err := conn.WriteMessage(websocket.BinaryMessage, []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if f := readUntil(t, conn, "error"); f.Code != "invalid_json" {
		t.Fatalf("binary frame answered %s", f.Raw)
	}
}

func TestWSUpgradeRefusals(t *testing.T) {
	ts := startTestServer(t, Config{AllowedOrigins: []string{"https://trusted.example"}})
	token := ts.register(t, "carol", "correct horse battery")
	tests := []struct {
		name   string
		opts   wsDialOpts
		status int
		code   string
	}{
		{"bad bearer token", wsDialOpts{token: "not-a-token"}, http.StatusUnauthorized, "unauthorized"},
		{"bad cookie", wsDialOpts{cookie: "not-a-token"}, http.StatusUnauthorized, "unauthorized"},
		{"foreign origin", wsDialOpts{token: token, origin: "https://evil.example"}, http.StatusForbidden, "origin_forbidden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, resp, err := dialWS(t, ts, tt.opts)
			if err == nil || conn != nil {
				t.Fatal("upgrade succeeded")
			}
			if resp == nil || resp.StatusCode != tt.status {
				t.Fatalf("response %v, want %d", resp, tt.status)
			}
			var p struct{ Code string }
			if err := json.NewDecoder(resp.Body).Decode(&p); err != nil || p.Code != tt.code ||
				!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
				t.Fatalf("problem %+v (%v), content type %q, want code %s", p, err, resp.Header.Get("Content-Type"), tt.code)
			}
		})
	}
	t.Run("allowed origin and cookie", func(t *testing.T) {
		conn, _, err := dialWS(t, ts, wsDialOpts{cookie: token, origin: "https://trusted.example"})
		if err != nil {
			t.Fatal(err)
		}
		if f := readFrame(t, conn); f.Type != "welcome" || f.User != "carol" {
			t.Fatalf("first frame %s", f.Raw)
		}
	})
	t.Run("plain GET", func(t *testing.T) {
		resp, body := ts.do(t, http.MethodGet, "/api/v1/ws", token, nil)
		if resp.StatusCode != http.StatusUpgradeRequired || !strings.Contains(string(body), `"upgrade_required"`) {
			t.Fatalf("%d %s, want 426 upgrade_required", resp.StatusCode, body)
		}
	})
}

func TestWSAuthMessage(t *testing.T) {
	ts := startTestServer(t, Config{Stream: stream.Config{AuthTimeout: 300 * time.Millisecond}})
	token := ts.register(t, "dave", "correct horse battery")
	t.Run("valid token", func(t *testing.T) {
		conn, _, err := dialWS(t, ts, wsDialOpts{})
		if err != nil {
			t.Fatal(err)
		}
		send(t, conn, `{"type":"auth","token":"`+token+`"}`)
		if f := readFrame(t, conn); f.Type != "welcome" || f.User != "dave" {
			t.Fatalf("first frame %s", f.Raw)
		}
		// No auth timeout once authenticated.
		send(t, conn, `{"type":"ping","id":1}`)
		time.Sleep(400 * time.Millisecond)
		send(t, conn, `{"type":"ping","id":2}`)
		if f := readUntil(t, conn, "pong"); string(f.ID) != "1" {
			t.Fatalf("pong = %s", f.Raw)
		}
		if f := readUntil(t, conn, "pong"); string(f.ID) != "2" {
			t.Fatalf("pong = %s", f.Raw)
		}
	})
	tests := []struct {
		name, first, reason string
	}{
		{"timeout", "", "authentication timeout"},
		{"bad token", `{"type":"auth","token":"nope"}`, "invalid or expired token"},
		{"other message first", `{"type":"subscribe","symbols":["AAPL"]}`, "authentication required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, _, err := dialWS(t, ts, wsDialOpts{})
			if err != nil {
				t.Fatal(err)
			}
			if tt.first != "" {
				sendRaw(t, conn, tt.first)
			}
			expectClose(t, conn, stream.CloseUnauthorized, tt.reason)
		})
	}
}

func TestWSOversizeMessageCloses1009(t *testing.T) {
	ts := startTestServer(t, Config{})
	conn := mustDialWS(t, ts, ts.register(t, "erin", "correct horse battery"))
	big := `{"type":"subscribe","symbols":["` + strings.Repeat("A", 5000) + `"]}`
	sendRaw(t, conn, big)
	expectClose(t, conn, websocket.CloseMessageTooBig, "max_message_bytes")
}

func TestWSRateLimit(t *testing.T) {
	ts := startTestServer(t, Config{Stream: stream.Config{MaxMessagesPerS: 5}})
	conn := mustDialWS(t, ts, ts.register(t, "frank", "correct horse battery"))
	for i := 0; i < 20; i++ {
		if err := conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"ping"}`)); err != nil {
			break // the server may already have closed
		}
	}
	sawLimited := false
	for {
		f, err := tryReadFrame(conn, 10*time.Second)
		if err != nil {
			ce, ok := err.(*websocket.CloseError)
			if !ok || ce.Code != websocket.ClosePolicyViolation || !strings.Contains(ce.Text, "rate") {
				t.Fatalf("ended with %v, want close 1008 about the rate", err)
			}
			break
		}
		if f.Type == "error" && f.Code == "rate_limited" {
			sawLimited = true
		}
	}
	if !sawLimited {
		t.Fatal("no rate_limited error before the close")
	}
}

func TestWSConnectionCaps(t *testing.T) {
	ts := startTestServer(t, Config{Stream: stream.Config{MaxConnsPerUser: 2, MaxConnsPerIP: 3}})
	gina := ts.register(t, "gina", "correct horse battery")
	hank := ts.register(t, "hank", "correct horse battery")
	mustDialWS(t, ts, gina)
	mustDialWS(t, ts, gina)
	third, _, err := dialWS(t, ts, wsDialOpts{token: gina})
	if err != nil {
		t.Fatal(err)
	}
	expectClose(t, third, websocket.ClosePolicyViolation, "account")
	// The refused connection counts against the IP until its server side has
	// finished closing, which may be a moment after the client saw the close.
	waitFor(t, "the refused connection to leave", func() bool {
		return ts.Server.streams.Stats().OpenWS == 2
	})
	mustDialWS(t, ts, hank) // third connection from this IP
	fourth, _, err := dialWS(t, ts, wsDialOpts{token: hank})
	if err != nil {
		t.Fatal(err)
	}
	expectClose(t, fourth, websocket.ClosePolicyViolation, "address")
}

func TestWSLogoutCloses4001(t *testing.T) {
	ts := startTestServer(t, Config{})
	token := ts.register(t, "ivan", "correct horse battery")
	other := ts.login(t, "ivan", "correct horse battery")
	conn := mustDialWS(t, ts, token)
	survivor := mustDialWS(t, ts, other)
	resp, body := ts.do(t, http.MethodPost, "/api/v1/auth/logout", token, nil)
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("logout: %d %s", resp.StatusCode, body)
	}
	expectClose(t, conn, stream.CloseUnauthorized, "logged out")
	send(t, survivor, `{"type":"ping","id":1}`)
	if f := readUntil(t, survivor, "pong"); string(f.ID) != "1" {
		t.Fatalf("other session's socket: %s", f.Raw)
	}
}

// TestWSInvalidUTF8Closes1007: a text message that is not UTF-8 is closed
// with 1007 as RFC 6455 requires (it was answered as unknown_type), before
// and after authentication, and counted under that code.
func TestWSInvalidUTF8Closes1007(t *testing.T) {
	ts := startTestServer(t, Config{})
	token := ts.register(t, "utf", "correct horse battery")
	conn := mustDialWS(t, ts, token)
	if err := conn.WriteMessage(websocket.TextMessage, []byte("{\"type\":\"p\xffng\"}")); err != nil {
		t.Fatal(err)
	}
	expectClose(t, conn, stream.CloseInvalidPayload, "UTF-8")

	unauthed, _, err := dialWS(t, ts, wsDialOpts{})
	if err != nil {
		t.Fatal(err)
	}
	if err := unauthed.WriteMessage(websocket.TextMessage, []byte("{\"type\":\"auth\",\"token\":\"\xc3\x28\"}")); err != nil {
		t.Fatal(err)
	}
	expectClose(t, unauthed, stream.CloseInvalidPayload, "UTF-8")

	waitFor(t, "two 1007 closes counted", func() bool {
		v, _ := scrape(t, ts).value("tickerd_stream_closes_total", "transport", "ws", "code", "1007")
		return v == 2
	})
}

// TestWSPingFloodCloses1008: ping control frames count against the message
// rate like messages, so a client flooding pings is closed with 1008 (they
// were answered without limit).
func TestWSPingFloodCloses1008(t *testing.T) {
	ts := startTestServer(t, Config{Stream: stream.Config{MaxMessagesPerS: 5}})
	conn := mustDialWS(t, ts, ts.register(t, "pinger", "correct horse battery"))
	pongs := 0
	conn.SetPongHandler(func(string) error { pongs++; return nil })
	for range 200 {
		if err := conn.WriteControl(websocket.PingMessage, []byte("x"), time.Now().Add(5*time.Second)); err != nil {
			break // the server may already have closed
		}
	}
	expectClose(t, conn, websocket.ClosePolicyViolation, "rate")
	if pongs > 10 {
		t.Errorf("%d pongs for pings over a rate of 5 a second", pongs)
	}
	waitFor(t, "the 1008 close counted", func() bool {
		v, _ := scrape(t, ts).value("tickerd_stream_closes_total", "transport", "ws", "code", "1008")
		return v == 1
	})
}
