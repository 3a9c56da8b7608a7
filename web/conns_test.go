package web

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
)

// rawGet sends GET path on c (keep-alive) and returns the status, or an
// error when the connection has been closed.
func rawGet(c net.Conn, br *bufio.Reader, path string) (int, error) {
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: tickerd\r\n\r\n"); err != nil {
		return 0, err
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

// closedByServer reports whether the server has closed c.
func closedByServer(c net.Conn) bool {
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, err := c.Read(make([]byte, 1))
	return err != nil && !isTimeout(err)
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// At nine tenths of MaxConns, a new connection closes the oldest idle
// keep-alive connection instead of being refused.
func TestIdleKeepAliveEvictedUnderPressure(t *testing.T) {
	ts := startTestServer(t, Config{MaxConns: 10, MaxConnsPerIP: 100})
	type kept struct {
		c  net.Conn
		br *bufio.Reader
	}
	var ks []kept
	for i := range 9 {
		c := dialFrom(t, "127.0.0.1", ts.Addr)
		br := bufio.NewReader(c)
		if st, err := rawGet(c, br, "/healthz"); err != nil || st != http.StatusOK {
			t.Fatalf("request %d: %d %v", i, st, err)
		}
		ks = append(ks, kept{c, br})
		// The server marks a connection idle a moment after the client has
		// its answer; "oldest" is the order they became idle in.
		waitFor(t, "the connection to be idle", func() bool {
			cs := ts.Server.conns
			cs.mu.Lock()
			defer cs.mu.Unlock()
			return cs.idle.Len() == i+1
		})
	}
	// Two more connections: each closes the oldest idle one.
	for i := range 2 {
		c := dialFrom(t, "127.0.0.1", ts.Addr)
		if st, err := rawGet(c, bufio.NewReader(c), "/healthz"); err != nil || st != http.StatusOK {
			t.Fatalf("new connection %d: %d %v", i, st, err)
		}
	}
	for i, k := range ks[:2] {
		if !closedByServer(k.c) {
			t.Fatalf("idle connection %d (among the oldest) still open", i)
		}
	}
	for i, k := range ks[2:] {
		if st, err := rawGet(k.c, k.br, "/healthz"); err != nil || st != http.StatusOK {
			t.Fatalf("idle connection %d (not among the oldest) closed: %d %v", i+2, st, err)
		}
	}
	if n := ts.Server.conns.evicted.Load(); n != 2 {
		t.Fatalf("evicted = %d, want 2", n)
	}
}

// Connections that send nothing are refused past MaxConns, closed under
// pressure once silent for the grace period, and closed on shutdown.
func TestSilentConnectionsEvictedAndClosedOnShutdown(t *testing.T) {
	ts := startTestServer(t, Config{MaxConns: 10, MaxConnsPerIP: 100})
	cs := ts.Server.conns
	setGrace := func(d time.Duration) {
		cs.mu.Lock()
		cs.grace = d
		cs.mu.Unlock()
	}
	setGrace(time.Hour)
	var silent []net.Conn
	for range 10 {
		silent = append(silent, dialFrom(t, "127.0.0.1", ts.Addr))
	}
	waitOpen(t, cs, 10)

	// Within the grace period a new connection is refused...
	c := dialFrom(t, "127.0.0.1", ts.Addr)
	if st, code := readRefusal(t, c); st != http.StatusServiceUnavailable || code != codeServerBusy {
		t.Fatalf("refusal = %d %q", st, code)
	}
	// ...after it, it takes the place of the oldest silent one.
	setGrace(0)
	c = dialFrom(t, "127.0.0.1", ts.Addr)
	if st, err := rawGet(c, bufio.NewReader(c), "/healthz"); err != nil || st != http.StatusOK {
		t.Fatalf("after the grace period: %d %v", st, err)
	}
	if !closedByServer(silent[0]) {
		t.Fatal("the oldest silent connection is still open")
	}

	// Shutdown does not wait for the read timeout of silent connections.
	start := time.Now()
	ts.Stop()
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("shutdown took %v with silent connections open", d)
	}
	if !closedByServer(silent[len(silent)-1]) {
		t.Fatal("a silent connection survived shutdown")
	}
}

// waitOpen waits until the server holds n connections.
func waitOpen(t *testing.T, cs *conns, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if open, _ := cs.stats(); open == n {
			return
		}
		if time.Now().After(deadline) {
			open, _ := cs.stats()
			t.Fatalf("open = %d, want %d", open, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Every kind of connection gives its slot back when it ends: REST
// keep-alive, a WebSocket (hijacked from fasthttp) and a refused one.
func TestConnectionSlotsReleased(t *testing.T) {
	ts := startTestServer(t, Config{MaxConns: 50, MaxConnsPerIP: 3})
	tok := ts.register(t, "slots", "correct horse battery")

	h := http.Header{}
	h.Set("Authorization", "Bearer "+tok)
	ws, resp, err := websocket.DefaultDialer.Dial("ws://"+ts.Addr+"/api/v1/ws", h)
	if err != nil {
		t.Fatalf("websocket: %v (%v)", err, resp)
	}
	if _, _, err := ws.ReadMessage(); err != nil { // welcome
		t.Fatal(err)
	}
	// With the REST keep-alive connection and the WebSocket open, two more
	// from this address: the second is refused.
	dialFrom(t, "127.0.0.1", ts.Addr)
	refused := dialFrom(t, "127.0.0.1", ts.Addr)
	if st, code := readRefusal(t, refused); st != http.StatusTooManyRequests {
		t.Fatalf("fourth connection from one address: %d %q", st, code)
	}

	_ = ws.Close()
	ts.Client.CloseIdleConnections()
	_ = refused.Close()
	waitOpen(t, ts.Server.conns, 1) // the silent one left
	if n := ts.Server.conns.addrs(); n != 1 {
		t.Fatalf("per-IP table has %d addresses, want 1", n)
	}
}
