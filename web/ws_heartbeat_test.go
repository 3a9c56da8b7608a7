package web

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/tickerd/tickerd/web/stream"
)

// TestWSHeartbeats: the server pings every heartbeat; a client that answers
// keeps receiving quotes long after the first ping plus the write wait (a
// ping once left a write deadline on the socket that failed every later
// frame), and a client that stays silent for three heartbeats is closed with
// 4002.
func TestWSHeartbeats(t *testing.T) {
	const heartbeat = 100 * time.Millisecond
	// The write wait is shorter than a heartbeat, as in production (10 s
	// against 20 s), so a deadline a ping left behind would pass before the
	// next ping.
	ts := startTestServer(t, Config{Stream: stream.Config{Heartbeat: heartbeat, WriteWait: heartbeat / 2}})
	token := ts.register(t, "heartbeat", "correct horse battery")

	t.Run("answering client keeps streaming", func(t *testing.T) {
		conn, _, err := dialWS(t, ts, wsDialOpts{token: token})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var pings atomic.Int32
		conn.SetPingHandler(func(data string) error {
			pings.Add(1)
			return conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
		})
		readFrame(t, conn) // welcome
		send(t, conn, `{"type":"subscribe","id":1,"symbols":["AAPL","MSFT","NVDA"]}`)
		end := time.Now().Add(12 * heartbeat) // many pings, each followed by more than a write wait
		var late int
		for time.Now().Before(end) {
			f := readFrame(t, conn)
			if f.Type == "quotes" && time.Until(end) < 3*heartbeat {
				late++
			}
		}
		if n := pings.Load(); n < 5 {
			t.Errorf("%d pings in %v, want one per %v", n, 12*heartbeat, heartbeat)
		}
		if late == 0 {
			t.Errorf("no quotes in the last %v", 3*heartbeat)
		}
	})

	t.Run("silent client is closed with 4002", func(t *testing.T) {
		const silentHeartbeats = 3 // docs/PROTOCOL.md: three heartbeats without a frame
		conn, _, err := dialWS(t, ts, wsDialOpts{token: token})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetPingHandler(func(string) error { return nil }) // never answers
		start := time.Now()
		for {
			_, err := tryReadFrame(conn, 5*time.Second)
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				if ce.Code != stream.CloseHeartbeatTimeout {
					t.Fatalf("closed with %d %q, want %d", ce.Code, ce.Text, stream.CloseHeartbeatTimeout)
				}
				if waited := time.Since(start); waited < silentHeartbeats*heartbeat {
					t.Errorf("closed after %v, before %d heartbeats", waited, silentHeartbeats)
				}
				return
			}
			if err != nil {
				t.Fatalf("read: %v, want close 4002", err)
			}
		}
	})
}
