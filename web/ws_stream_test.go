package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/tickerd/tickerd/web/stream"
	"go.uber.org/goleak"
)

// TestWSSlowClientIsolated: a client that never reads is closed with 1013
// once it has stayed behind for the slow-client window, and meanwhile a
// client that reads sees its ticks on time.
func TestWSSlowClientIsolated(t *testing.T) {
	ts := startTestServerWith(t, Config{Stream: stream.Config{SlowClientWindow: 300 * time.Millisecond}},
		testServerOptions{TickRate: 100})
	token := ts.register(t, "slow", "correct horse battery")

	slow, _ := dialReluctant(t, ts, token)
	// slow reads nothing more until the server gives up on it.

	good := mustDialWS(t, ts, token)
	send(t, good, `{"type":"subscribe","symbols":["AAPL","MSFT","NVDA"]}`)
	readUntil(t, good, "subscriptions")
	var (
		mu        sync.Mutex
		latencies []time.Duration
		stop      = make(chan struct{})
		done      = make(chan struct{})
	)
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			f, err := tryReadFrame(good, 5*time.Second)
			if err != nil {
				return
			}
			now := time.Now()
			var qs []wsQuote
			_ = json.Unmarshal(f.Data, &qs)
			mu.Lock()
			for _, q := range qs {
				if !q.Snapshot {
					latencies = append(latencies, now.Sub(time.UnixMilli(q.TS)))
				}
			}
			mu.Unlock()
		}
	}()

	// Either the hub marks it lagging, or its writer's write gets stuck
	// for the window: both end it as too slow.
	deadline := time.Now().Add(60 * time.Second)
	for ts.Hub.Stats().Lagged == 0 && ts.Server.streams.Stats().OpenWS > 1 {
		if time.Now().After(deadline) {
			t.Fatal("the client that never reads was not given up on within 60s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Let the good client run on for a while after the slow one stalled.
	time.Sleep(time.Second)
	close(stop)
	<-done

	mu.Lock()
	lat := slices.Clone(latencies)
	mu.Unlock()
	if len(lat) < 50 {
		t.Fatalf("good client received only %d ticks", len(lat))
	}
	slices.Sort(lat)
	p50, p99, worst := lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1]
	t.Logf("good client: %d ticks, latency p50 %v p99 %v max %v", len(lat), p50, p99, worst)
	// The tick timestamps have millisecond resolution and the machine is
	// shared; a hub that waited for the stalled client would show the
	// slow-client window (300ms) or the write timeout (10s) here.
	if p50 > 50*time.Millisecond || worst > 250*time.Millisecond {
		t.Fatalf("good client delayed: p50 %v max %v", p50, worst)
	}

	// Once it reads again the slow client finds the 1013 after its backlog
	// if the hub gave up on it first. If its writer was stuck in a write
	// for the window, nothing more could be written: the connection just
	// ended. Either way the server counts a slow client.
	_ = slow.SetReadDeadline(time.Now().Add(15 * time.Second))
	for {
		if _, _, err := slow.ReadMessage(); err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) && (ce.Code != websocket.CloseTryAgainLater && ce.Code != websocket.CloseAbnormalClosure) {
				t.Fatalf("slow client closed with %v, want 1013 or the connection dropped", err)
			}
			break
		}
	}
	waitFor(t, "the slow client counted", func() bool {
		v, _ := scrape(t, ts).value("tickerd_stream_slow_client_closes_total", "transport", "ws")
		return v == 1
	})
}

func TestWSPortfolioChannel(t *testing.T) {
	ts := startTestServer(t, Config{})
	token := ts.register(t, "judy", "correct horse battery")
	conn := mustDialWS(t, ts, token)
	send(t, conn, `{"type":"subscribe","id":1,"channels":["portfolio"]}`)
	if f := readFrame(t, conn); f.Type != "subscriptions" || !slices.Equal(f.Channels, []string{"portfolio"}) {
		t.Fatalf("reply %s", f.Raw)
	}
	type wirePortfolio struct {
		Cash      json.Number `json:"cash"`
		Positions []struct {
			Symbol   string `json:"symbol"`
			Quantity int64  `json:"quantity"`
		} `json:"positions"`
	}
	first := readUntil(t, conn, "portfolio")
	p := decode[wirePortfolio](t, first.Data)
	if p.Cash.String() != "100000.00" || len(p.Positions) != 0 {
		t.Fatalf("first valuation %s", first.Raw)
	}
	// The payload is exactly GET /api/v1/portfolio's shape.
	_, rest := ts.do(t, http.MethodGet, "/api/v1/portfolio", token, nil)
	if keys(t, first.Data) != keys(t, rest) {
		t.Fatalf("portfolio frame fields %s differ from REST %s", keys(t, first.Data), keys(t, rest))
	}

	resp, body := ts.do(t, http.MethodPost, "/api/v1/portfolio/trades", token,
		map[string]any{"symbol": "AAPL", "side": "buy", "quantity": 10})
	wantStatus(t, resp, body, http.StatusCreated)
	for {
		f := readUntil(t, conn, "portfolio")
		p := decode[wirePortfolio](t, f.Data)
		if len(p.Positions) == 1 && p.Positions[0].Symbol == "AAPL" && p.Positions[0].Quantity == 10 {
			break
		}
	}
	// AAPL ticks 20 times a second; pushes follow, at most 4 a second.
	start := time.Now()
	n := 0
	for time.Since(start) < 2*time.Second {
		f, err := tryReadFrame(conn, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if f.Type == "portfolio" {
			n++
		}
	}
	if n < 2 || n > 10 {
		t.Fatalf("%d portfolio pushes in 2s, want between 2 and 10 (held symbol ticking, at most 4/s)", n)
	}
}

// keys returns the sorted top-level field names of a JSON object.
func keys(t *testing.T, raw []byte) string {
	t.Helper()
	m := decode[map[string]json.RawMessage](t, raw)
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return strings.Join(ks, ",")
}

// TestWSStreamsShutdownAndLeaks: goroutines return to their baseline when
// clients leave, and shutdown closes every socket with 1001 and ends SSE
// streams, leaving no goroutine behind.
func TestWSStreamsShutdownAndLeaks(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	ts := startTestServer(t, Config{})
	token := ts.register(t, "kim", "correct horse battery")
	conn := mustDialWS(t, ts, token) // warm up pools and the fasthttp workers
	conn.Close()
	waitFor(t, "subscribers to leave", func() bool { return ts.Hub.Stats().Subscribers == 0 })
	time.Sleep(100 * time.Millisecond)
	baseline := runtime.NumGoroutine()

	var conns []*websocket.Conn
	for i := 0; i < 8; i++ {
		c := mustDialWS(t, ts, token)
		send(t, c, `{"type":"subscribe","symbols":["AAPL"],"channels":["portfolio"]}`)
		readUntil(t, c, "quotes")
		conns = append(conns, c)
	}
	for _, c := range conns {
		_ = c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		expectClose(t, c, websocket.CloseNormalClosure, "")
		c.Close()
	}
	waitFor(t, "goroutines back to baseline", func() bool {
		return ts.Hub.Stats().Subscribers == 0 && runtime.NumGoroutine() <= baseline
	})

	a := mustDialWS(t, ts, token)
	b := mustDialWS(t, ts, token)
	send(t, b, `{"type":"subscribe","symbols":["MSFT"]}`)
	events := openSSE(t, ts, token, "/api/v1/stream?symbols=AAPL")
	nextEvent(t, events, "quotes")
	ts.Stop()
	expectClose(t, a, websocket.CloseGoingAway, "shutting down")
	expectClose(t, b, websocket.CloseGoingAway, "shutting down")
	if ev := nextEvent(t, events, "close"); !strings.Contains(ev.data, `"code":1001`) {
		t.Fatalf("SSE close event %q", ev.data)
	}
	a.Close()
	b.Close()
	goleak.VerifyNone(t, ignore,
		// fasthttp internals: the worker-pool cleaner notices Stop only after
		// its 10 s idle sleep, and the Date header updater lives for the
		// whole process once any server has started.
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*workerPool).Start.func2"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1"))
}

// waitFor polls cond until it holds or 15 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestWSStuckWriteClosedAsSlow: a client whose socket takes nothing (it
// never reads, with a small receive buffer) blocks the stream's writer in a
// write, where it cannot see the hub mark it lagging. The write is failed
// once it has taken the slow-client window (not the 10 s write wait), and
// the stream ends as too slow: 1013, counted in
// tickerd_stream_slow_client_closes_total, not 1006. (It ended after the
// write wait plus a second, counted 1006.)
func TestWSStuckWriteClosedAsSlow(t *testing.T) {
	const window = 500 * time.Millisecond
	ts := startTestServerWith(t, Config{Stream: stream.Config{SlowClientWindow: window}},
		testServerOptions{TickRate: 200})
	token := ts.register(t, "stuck", "correct horse battery")
	conn, _ := dialReluctant(t, ts, token)
	defer conn.Close()
	// The client reads nothing from here on.

	// The writer counts each frame as it starts writing it: once the
	// count stops moving, the writer is stuck in a write.
	var lastChange time.Time
	last := -1.0
	deadline := time.Now().Add(60 * time.Second)
	for ts.Server.streams.Stats().OpenWS > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the client that never reads was not closed within 60s")
		}
		if v, _ := scrape(t, ts).value("tickerd_stream_frames_written_total", "transport", "ws"); v != last {
			last, lastChange = v, time.Now()
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The stuck write is failed one window after it began (the slack is
	// for the polling and a shared machine; the write wait is 10 s).
	if took := time.Since(lastChange); took > window+1500*time.Millisecond {
		t.Fatalf("stream ended %v after its writer got stuck; want within the window (%v)", took, window)
	} else {
		t.Logf("stream ended %v after its writer got stuck", took)
	}
	f := scrape(t, ts)
	if v, _ := f.value("tickerd_stream_slow_client_closes_total", "transport", "ws"); v != 1 {
		t.Errorf("slow client closes = %v, want 1", v)
	}
	if v, _ := f.value("tickerd_stream_closes_total", "transport", "ws", "code", "1006"); v != 0 {
		t.Errorf("1006 closes = %v, want 0", v)
	}
}
