package main

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tickerd/tickerd/cmd/tickerd/tickerdtest"
	"github.com/tickerd/tickerd/feed/natsfeed"
)

// Killing the core (and with it the embedded NATS server) leaves the
// edges' sockets open: clients get a feed frame, /readyz turns 503. A
// core restarted on the same database brings the edges back by
// themselves: clients get a feed-up frame and fresh snapshots without
// reconnecting, and the trade committed before the crash is still there.
func TestClusterCoreCrashAndRestart(t *testing.T) {
	c := startCluster(t, 1, "-universe-size", "5")
	edge := c.edges[0]
	tok := account(t, edge.URL, "survivor")
	res := post(t, edge.URL+"/api/v1/portfolio/trades", tok, `{"symbol":"MSFT","side":"buy","quantity":2}`)
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("trade: %d", res.StatusCode)
	}
	conn := mustWS(t, edge.URL, tok)
	conn.send(t, map[string]any{"type": "subscribe", "id": 1, "symbols": []string{"AAPL"}})
	conn.waitFrame(t, 3*time.Second, "the AAPL snapshot", isSnapshot("AAPL"))

	c.core.Kill(t)
	down := conn.waitFrame(t, 5*time.Second, "a feed-down frame", func(f frame) bool { return f.Type == "feed" })
	if down.State != "down" || down.Message == "" {
		t.Fatalf("feed frame %s, want state down with a message", down.Raw)
	}
	if status, body := getStatus(t, edge.URL+"/readyz"); status != http.StatusServiceUnavailable {
		t.Fatalf("edge /readyz with the core dead: %d %s", status, body)
	}
	assertNoTicks(t, conn, time.Second)

	c.core.Start(t)
	up := conn.waitFrame(t, 10*time.Second, "a feed-up frame", func(f frame) bool { return f.Type == "feed" })
	if up.State != "up" {
		t.Fatalf("feed frame %s, want state up", up.Raw)
	}
	snap := conn.waitFrame(t, 2*time.Second, "a fresh AAPL snapshot", isSnapshot("AAPL"))
	last := snap.quotes(t)[0].Seq
	tick := conn.waitFrame(t, 5*time.Second, "a new AAPL tick", func(f frame) bool { return f.Type == "quotes" })
	if q := tick.quotes(t)[0]; q.Seq <= last {
		t.Fatalf("tick seq %d after snapshot seq %d", q.Seq, last)
	}
	waitReady(t, edge.URL, 5*time.Second)
	if status, body := getStatus(t, edge.URL+"/api/v1/quotes?symbols=MSFT"); status != http.StatusOK {
		t.Fatalf("quotes: %d %s", status, body)
	}
	req, _ := http.NewRequest(http.MethodGet, edge.URL+"/api/v1/portfolio", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	pres, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer pres.Body.Close()
	var body strings.Builder
	buf := make([]byte, 4096)
	n, _ := pres.Body.Read(buf)
	body.Write(buf[:n])
	if pres.StatusCode != http.StatusOK || !strings.Contains(body.String(), `"MSFT"`) {
		t.Fatalf("portfolio after the restart: %d %s", pres.StatusCode, body.String())
	}
}

// With an external NATS (-nats-url on every node), restarting NATS stops
// and resumes the feed the same way, with no reconnect by the client; a
// logout made while NATS was down closes that session's sockets on the
// edge once it is back.
func TestClusterNATSRestart(t *testing.T) {
	natsAddr := tickerdtest.FreeAddr(t)
	ns, err := natsfeed.StartServer(natsAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { ns.Shutdown() }()
	url := "nats://" + natsAddr
	core := tickerdtest.New(t, "-role", "core", "-nats-url", url, "-universe-size", "5")
	core.Start(t)
	edge := core.Sibling(t, "-role", "edge", "-nats-url", url, "-core-url", core.URL)
	edge.Start(t)
	tok := account(t, edge.URL, "natsfan")
	conn := mustWS(t, edge.URL, tok)
	conn.send(t, map[string]any{"type": "subscribe", "id": 1, "symbols": []string{"AAPL"}})
	conn.waitFrame(t, 3*time.Second, "the AAPL snapshot", isSnapshot("AAPL"))
	leaverTok := account(t, edge.URL, "leaver")
	leaver := mustWS(t, edge.URL, leaverTok)

	ns.Shutdown()
	ns.WaitForShutdown()
	if f := conn.waitFrame(t, 5*time.Second, "a feed-down frame", isFeedFrame); f.State != "down" {
		t.Fatalf("feed frame %s, want down", f.Raw)
	}
	res := post(t, core.URL+"/api/v1/auth/logout", leaverTok, "")
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("logout on the core while NATS is down: %d", res.StatusCode)
	}
	if ns, err = natsfeed.StartServer(natsAddr); err != nil {
		t.Fatal(err)
	}
	if f := conn.waitFrame(t, 10*time.Second, "a feed-up frame", isFeedFrame); f.State != "up" {
		t.Fatalf("feed frame %s, want up", f.Raw)
	}
	conn.waitFrame(t, 2*time.Second, "a fresh AAPL snapshot", isSnapshot("AAPL"))
	conn.waitFrame(t, 5*time.Second, "a new AAPL tick", func(f frame) bool { return f.Type == "quotes" })
	waitReady(t, edge.URL, 5*time.Second)
	if code := leaver.closeCode(t, 3*time.Second); code != 4001 {
		t.Fatalf("socket of the session logged out during the outage closed with %d, want 4001", code)
	}
}

func isFeedFrame(f frame) bool { return f.Type == "feed" }

func isSnapshot(sym string) func(frame) bool {
	return func(f frame) bool {
		return f.Type == "quotes" && strings.Contains(string(f.Data), `"symbol":"`+sym+`"`) &&
			strings.Contains(string(f.Data), `"snapshot":true`)
	}
}

// assertNoTicks checks that no quotes arrive for d (the socket stays open).
func assertNoTicks(t *testing.T, conn *wsClient, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		f, err := conn.next(time.Until(deadline))
		if errors.Is(err, errNoFrame) {
			return
		}
		if err != nil {
			t.Fatalf("socket ended while the core was down: %v", err)
		}
		if f.Type == "quotes" {
			t.Fatalf("quotes while the core is down: %s", f.Raw)
		}
	}
}

func waitReady(t *testing.T, base string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		status, body := getStatus(t, base+"/readyz")
		if status == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s/readyz: %d %s after %s", base, status, body, d)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Killing an edge ends its clients' connections; they reconnect to the
// other edge with the same token and carry on from fresh snapshots, with
// seqs newer than the last one they saw.
func TestClusterEdgeKilled(t *testing.T) {
	c := startCluster(t, 2, "-universe-size", "5")
	a, b := c.edges[0], c.edges[1]
	tok := account(t, a.URL, "nomad")
	conn := mustWS(t, a.URL, tok)
	conn.send(t, map[string]any{"type": "subscribe", "id": 1, "symbols": []string{"AAPL"}})
	var last uint64
	for last == 0 {
		f := conn.waitFrame(t, 3*time.Second, "an AAPL quote", func(f frame) bool { return f.Type == "quotes" })
		last = f.quotes(t)[0].Seq
	}
	a.Kill(t)
	for { // frames in flight may still arrive; then the connection ends
		_, err := conn.next(3 * time.Second)
		if errors.Is(err, errNoFrame) {
			t.Fatal("connection to the killed edge still open")
		}
		if err != nil {
			break
		}
	}
	conn = mustWS(t, b.URL, tok)
	conn.send(t, map[string]any{"type": "subscribe", "id": 1, "symbols": []string{"AAPL"}})
	snap := conn.waitFrame(t, 3*time.Second, "the AAPL snapshot on edge B", isSnapshot("AAPL"))
	if q := snap.quotes(t)[0]; q.Seq < last {
		t.Fatalf("snapshot seq %d older than the last seen on edge A (%d)", q.Seq, last)
	}
	tick := conn.waitFrame(t, 5*time.Second, "a new AAPL tick on edge B", func(f frame) bool { return f.Type == "quotes" })
	if q := tick.quotes(t)[0]; q.Seq <= last {
		t.Fatalf("tick seq %d after %d", q.Seq, last)
	}
}
