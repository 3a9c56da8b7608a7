package web

import (
	"bufio"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"go.uber.org/goleak"

	"github.com/tickerd/tickerd/web/stream"
)

// soakCycles is how many times each transport connects and disconnects.
const soakCycles = 300

// openFDs counts this process's open descriptors (Linux /proc).
func openFDs(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot count descriptors: %v", err)
	}
	return len(entries)
}

// TestSoakConnectDisconnect opens and closes every transport a few hundred
// times — WebSocket authenticated by header and by first message (half of
// them closed with a close frame, half by dropping the socket), SSE, and
// REST on a keep-alive connection — and checks that goroutines and open
// descriptors (the server's and the clients', in this one process) come back
// to where they were, and that every stream has left the hub.
func TestSoakConnectDisconnect(t *testing.T) {
	if testing.Short() {
		t.Skip("soak")
	}
	// An SSE server notices a client gone only at its next write, so
	// streams outlive their clients briefly: the per-account and per-IP
	// stream caps are raised out of the way.
	ts := startTestServer(t, Config{Stream: stream.Config{MaxConnsPerUser: 1000, MaxConnsPerIP: 1000}})
	token := ts.register(t, "soak", "correct horse battery")
	sseClient := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

	wsHeader := func(i int) {
		c := mustDialWS(t, ts, token)
		send(t, c, `{"type":"subscribe","symbols":["AAPL"]}`)
		readUntil(t, c, "subscriptions")
		if i%2 == 0 {
			_ = c.WriteControl(websocket.CloseMessage,
				websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
			expectClose(t, c, websocket.CloseNormalClosure, "")
		}
		c.Close()
	}
	wsFirstMessage := func(i int) {
		c, resp, err := dialWS(t, ts, wsDialOpts{})
		if err != nil {
			t.Fatalf("dial: %v (%v)", err, resp)
		}
		send(t, c, `{"type":"auth","token":"`+token+`"}`)
		readUntil(t, c, "welcome")
		if i%2 == 0 {
			send(t, c, `{"type":"subscribe","symbols":["MSFT"]}`)
			readUntil(t, c, "subscriptions")
		}
		c.Close()
	}
	sse := func(int) {
		req := ts.newRequest(t, http.MethodGet, "/api/v1/stream?symbols=AAPL", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := sseClient.Do(req)
		if err != nil {
			t.Fatalf("sse: %v", err)
		}
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() && !strings.HasPrefix(sc.Text(), "event: quotes") {
		}
		if sc.Err() != nil {
			t.Fatalf("sse: %v", sc.Err())
		}
		resp.Body.Close()
	}
	restKeepAlive := func(int) {
		for range 3 {
			if resp, body := ts.do(t, http.MethodGet, "/api/v1/portfolio", token, nil); resp.StatusCode != http.StatusOK {
				t.Fatalf("portfolio: %d %s", resp.StatusCode, body)
			}
		}
		ts.Client.CloseIdleConnections()
	}
	transports := []struct {
		name string
		run  func(int)
	}{{"ws header auth", wsHeader}, {"ws first-message auth", wsFirstMessage}, {"sse", sse}, {"rest keep-alive", restKeepAlive}}

	settled := func() bool { return ts.Hub.Stats().Subscribers == 0 && ts.Server.conns.addrs() == 0 }
	for _, tr := range transports { // warm up pools, workers and lazily started goroutines
		tr.run(0)
	}
	waitFor(t, "warm-up streams to leave", settled)
	time.Sleep(200 * time.Millisecond)
	baseG, baseFD := goleak.IgnoreCurrent(), openFDs(t)
	ignore := []goleak.Option{baseG,
		// fasthttp keeps idle workers for up to 10 s (20 s until its
		// cleaner runs): a pool as large as the peak concurrency, not a leak.
		// A worker that still serves a connection parks elsewhere and counts.
		goleak.IgnoreTopFunction("github.com/valyala/fasthttp.(*workerPool).workerFunc"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*workerPool).Start.func2"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1")}

	start := time.Now()
	for i := range soakCycles {
		for _, tr := range transports {
			tr.run(i)
		}
	}
	t.Logf("%d connect/disconnect cycles of %d transports in %s", soakCycles, len(transports), time.Since(start).Round(time.Millisecond))

	deadline := time.Now().Add(10 * time.Second)
	for {
		leaked, fd := goleak.Find(ignore...), openFDs(t)
		if settled() && leaked == nil && fd <= baseFD {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("10 s after the soak: %d descriptors open (baseline %d), %d hub subscribers, %d client addresses connected; goroutines: %v",
				fd, baseFD, ts.Hub.Stats().Subscribers, ts.Server.conns.addrs(), leaked)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
