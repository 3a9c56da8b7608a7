package web

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tickerd/tickerd/web/stream"
)

type sseEvent struct{ event, data string }

// openSSE opens an event stream and parses it on a goroutine; the channel
// closes when the stream ends.
func openSSE(t *testing.T, ts *testServer, token, path string) <-chan sseEvent {
	t.Helper()
	ch, _ := openSSEDroppable(t, ts, token, path)
	return ch
}

// openSSEDroppable is openSSE that also returns a function dropping the
// connection mid-stream.
func openSSEDroppable(t *testing.T, ts *testServer, token, path string) (<-chan sseEvent, func()) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, ts.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	ch := make(chan sseEvent, 256)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(resp.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.event != "" || ev.data != "" {
					checkServerMessage([]byte(ev.data))
					ch <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "event: "):
				ev.event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data += strings.TrimPrefix(line, "data: ")
			}
		}
	}()
	return ch, func() { resp.Body.Close() }
}

// nextEvent returns the next event named typ (skipping others) within 10 s.
func nextEvent(t *testing.T, ch <-chan sseEvent, typ string) sseEvent {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatalf("stream ended while waiting for %q", typ)
			}
			if ev.event == typ {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %q event within 10s", typ)
		}
	}
}

func TestSSEStreamDeliversQuotes(t *testing.T) {
	ts := startTestServer(t, Config{})
	token := ts.register(t, "lena", "correct horse battery")
	events := openSSE(t, ts, token, "/api/v1/stream?symbols=AAPL,msft&channels=portfolio")

	first := nextEvent(t, events, "quotes")
	var frame struct {
		Type string    `json:"type"`
		Data []wsQuote `json:"data"`
	}
	if err := json.Unmarshal([]byte(first.data), &frame); err != nil || frame.Type != "quotes" {
		t.Fatalf("first quotes event %q: %v", first.data, err)
	}
	seen := map[string]uint64{}
	for _, q := range frame.Data {
		if !q.Snapshot {
			t.Fatalf("first quotes event has a non-snapshot: %s", first.data)
		}
		seen[q.Symbol] = q.Seq
	}
	if len(seen) != 2 {
		t.Fatalf("first event %s, want snapshots of AAPL and MSFT", first.data)
	}
	var portfolioEvent string
	for n := 0; n < 10 || portfolioEvent == ""; {
		var ev sseEvent
		select {
		case ev = <-events:
		case <-time.After(10 * time.Second):
			t.Fatalf("no event within 10s (%d ticks, portfolio %q)", n, portfolioEvent)
		}
		switch ev.event {
		case "portfolio":
			portfolioEvent = ev.data
		case "quotes":
			frame.Data = nil
			if err := json.Unmarshal([]byte(ev.data), &frame); err != nil {
				t.Fatal(err)
			}
			for _, q := range frame.Data {
				if (q.Symbol != "AAPL" && q.Symbol != "MSFT") || q.Snapshot || q.Seq <= seen[q.Symbol] {
					t.Fatalf("bad tick after %v: %s", seen, ev.data)
				}
				seen[q.Symbol] = q.Seq
				n++
			}
		}
	}
	if !strings.HasPrefix(portfolioEvent, `{"type":"portfolio","data":{"cash":100000.00,`) {
		t.Fatalf("portfolio event %s", portfolioEvent)
	}

	resp, body := ts.do(t, http.MethodPost, "/api/v1/auth/logout", token, nil)
	wantStatus(t, resp, body, http.StatusNoContent)
	if ev := nextEvent(t, events, "close"); !strings.Contains(ev.data, `"code":4001`) {
		t.Fatalf("close event %s", ev.data)
	}
	select {
	case _, ok := <-events:
		for ok {
			_, ok = <-events
		}
	case <-time.After(10 * time.Second):
		t.Fatal("stream did not end after logout")
	}
}

func TestSSERefusals(t *testing.T) {
	ts := startTestServer(t, Config{})
	token := ts.register(t, "mike", "correct horse battery")
	tests := []struct {
		name, path, token string
		status            int
		code              string
	}{
		{"no credentials", "/api/v1/stream?symbols=AAPL", "", http.StatusUnauthorized, "unauthorized"},
		{"unknown symbol", "/api/v1/stream?symbols=AAPL,XYZ", token, http.StatusUnprocessableEntity, "unknown_symbol"},
		{"unknown channel", "/api/v1/stream?channels=news", token, http.StatusBadRequest, "invalid_parameter"},
		{"nothing asked", "/api/v1/stream", token, http.StatusBadRequest, "invalid_parameter"},
		{"bad max_rate_ms", "/api/v1/stream?symbols=AAPL&max_rate_ms=x", token, http.StatusBadRequest, "invalid_parameter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := ts.do(t, http.MethodGet, tt.path, tt.token, nil)
			if resp.StatusCode != tt.status || !strings.Contains(string(body), `"code":"`+tt.code+`"`) {
				t.Fatalf("%d %s, want %d %s", resp.StatusCode, body, tt.status, tt.code)
			}
		})
	}
}

// TestSSEStalledClientIsReleased: a client that stops reading its event
// stream has its stream ended (the hub loses the subscriber) once its socket
// has accepted nothing for the slow-client window, instead of holding the
// stream's goroutines until shutdown.
func TestSSEStalledClientIsReleased(t *testing.T) {
	ts := startTestServerWith(t, Config{Stream: stream.Config{SlowClientWindow: 300 * time.Millisecond}},
		testServerOptions{TickRate: 100})
	token := ts.register(t, "stall", "correct horse battery")
	var all []string
	for _, s := range ts.Market.Symbols() {
		all = append(all, s.Ticker)
	}

	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		})
		return errors.Join(err, serr)
	}}
	conn, err := d.Dial("tcp", ts.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /api/v1/stream?symbols=%s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n\r\n",
		strings.Join(all, ","), ts.Addr, token)
	// The client reads nothing from here on.

	waitFor(t, "the stream to start", func() bool { return ts.Hub.Stats().Subscribers == 1 })
	waitFor(t, "the stalled stream to end", func() bool { return ts.Hub.Stats().Subscribers == 0 })
	// It ended as a slow client (1013), not as one that went away (1006).
	waitFor(t, "the slow client counted", func() bool {
		v, _ := scrape(t, ts).value("tickerd_stream_slow_client_closes_total", "transport", "sse")
		return v == 1
	})
}

// TestSSEKeepAliveOnlyWhenQuiet: the keep-alive comment is sent when nothing
// else was for a heartbeat (docs/PROTOCOL.md §7), not on a fixed period.
func TestSSEKeepAliveOnlyWhenQuiet(t *testing.T) {
	const heartbeat = 200 * time.Millisecond
	ts := startTestServer(t, Config{Stream: stream.Config{Heartbeat: heartbeat}})
	token := ts.register(t, "keepalive", "correct horse battery")
	count := func(path string, window time.Duration) (keepAlives, events int) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, ts.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		lines := make(chan string, 1024)
		go func() {
			defer close(lines)
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				lines <- sc.Text()
			}
		}()
		end := time.After(window)
		for {
			select {
			case l := <-lines:
				switch {
				case l == ": keep-alive":
					keepAlives++
				case strings.HasPrefix(l, "event: "):
					events++
				}
			case <-end:
				return keepAlives, events
			}
		}
	}
	// Ten symbols ticking 20 times a second each: a quiet heartbeat happens
	// only if the machine starves the stream, so at most a stray one, where
	// a fixed period would send one per heartbeat.
	busy := "/api/v1/stream?symbols=AAPL,MSFT,NVDA,AMZN,GOOGL,META,TSLA,JPM,V,KO"
	if ka, ev := count(busy, 10*heartbeat); ka > 2 || ev < 10 {
		t.Errorf("busy stream: %d keep-alives among %d events in %v, want at most a stray one", ka, ev, 10*heartbeat)
	}
	// Only the portfolio channel of an account holding nothing: one
	// valuation, then silence filled by keep-alives.
	if ka, _ := count("/api/v1/stream?channels=portfolio", 10*heartbeat); ka < 5 {
		t.Errorf("quiet stream: %d keep-alives in %v, want one per heartbeat", ka, 10*heartbeat)
	}
}
