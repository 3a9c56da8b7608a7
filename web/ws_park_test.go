package web

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"go.uber.org/goleak"

	"github.com/tickerd/tickerd/web/stream"
)

// writerGoroutines counts the WebSocket writer goroutines alive, and of
// them the ones parked waiting for a kick.
func writerGoroutines() (alive, parked int) {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "stream.(*wsConn).writeRun(") {
			alive++
			if strings.Contains(g, "stream.(*wsConn).rest(") {
				parked++
			}
		}
	}
	return alive, parked
}

// TestWSParkedWriterEndsWithItsConnection: a writer parked between frames
// (the linger is far longer than the test) ends with its connection,
// whichever way that ends: the client's close frame, the client vanishing,
// or shutdown. No goroutine outlives them.
func TestWSParkedWriterEndsWithItsConnection(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	ts := startTestServer(t, Config{Stream: stream.Config{WriterLinger: time.Hour}})
	token := ts.register(t, "parker", "correct horse battery")
	var conns []*websocket.Conn
	for range 3 {
		c := mustDialWS(t, ts, token)
		send(t, c, `{"type":"subscribe","symbols":["AAPL"]}`)
		readUntil(t, c, "quotes")
		conns = append(conns, c)
	}
	waitFor(t, "three writers parked at once", func() bool {
		_, parked := writerGoroutines()
		return parked == 3
	})

	_ = conns[0].WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	expectClose(t, conns[0], websocket.CloseNormalClosure, "")
	conns[0].Close()
	_ = conns[1].UnderlyingConn().Close() // gone without a close frame
	waitFor(t, "two streams to end", func() bool { return ts.Server.streams.Stats().OpenWS == 1 })
	if alive, _ := writerGoroutines(); alive > 1 {
		t.Fatalf("%d writers alive with one connection open", alive)
	}
	ts.Stop()
	expectClose(t, conns[2], websocket.CloseGoingAway, "shutting down")
	conns[2].Close()
	goleak.VerifyNone(t, ignore,
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*workerPool).Start.func2"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1"))
}

// TestWSWriterRetiresWithoutLosingAKick: with a linger of 2 ms the sweep
// retires writers all the time, racing the clients' requests. Every
// request still gets its reply at once (a lost kick would leave it waiting
// for the connection's timer, 10 s or more), and once the clients go quiet
// every writer is retired while the connections stay open.
func TestWSWriterRetiresWithoutLosingAKick(t *testing.T) {
	ts := startTestServer(t, Config{Stream: stream.Config{WriterLinger: 2 * time.Millisecond, MaxMessagesPerS: 1000}})
	token := ts.register(t, "retiree", "correct horse battery")
	var wg sync.WaitGroup
	for c := range 4 {
		conn := mustDialWS(t, ts, token)
		wg.Go(func() {
			for i := range 150 {
				if err := pingPong(conn, fmt.Sprintf(`"c%d-%d"`, c, i)); err != nil {
					t.Errorf("connection %d, request %d: %v", c, i, err)
					return
				}
				time.Sleep(time.Duration(rand.IntN(4000)) * time.Microsecond)
			}
		})
	}
	wg.Wait()
	waitFor(t, "every writer retired", func() bool {
		alive, _ := writerGoroutines()
		return alive == 0
	})
	if open := ts.Server.streams.Stats().OpenWS; open != 4 {
		t.Fatalf("%d streams open, want 4", open)
	}
}

// pingPong sends a ping with id and waits 2 s for its pong.
func pingPong(conn *websocket.Conn, id string) error {
	_ = conn.SetWriteDeadline(time.Now().Add(2 * time.Second))
	if err := conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"ping","id":`+id+`}`)); err != nil {
		return fmt.Errorf("send ping: %w", err)
	}
	f, err := tryReadFrame(conn, 2*time.Second)
	if err != nil {
		return fmt.Errorf("no pong within 2s: %w", err)
	}
	if f.Type != "pong" || string(f.ID) != id {
		return fmt.Errorf("got %s, want the pong of %s", f.Raw, id)
	}
	return nil
}
