package web

import (
	"encoding/json"
	"slices"
	"testing"
	"time"
)

func TestWSSnapshotThenTicks(t *testing.T) {
	ts := startTestServer(t, Config{})
	token := ts.register(t, "alice", "correct horse battery")
	conn, _, err := dialWS(t, ts, wsDialOpts{token: token})
	if err != nil {
		t.Fatal(err)
	}
	welcome := readFrame(t, conn)
	var w struct {
		Type       string         `json:"type"`
		User       string         `json:"user"`
		HeartbeatS int            `json:"heartbeat_s"`
		Limits     map[string]int `json:"limits"`
	}
	if err := json.Unmarshal(welcome.Raw, &w); err != nil {
		t.Fatal(err)
	}
	wantLimits := map[string]int{"max_symbols": 200, "max_message_bytes": 4096, "max_messages_per_s": 20}
	if w.Type != "welcome" || w.User != "alice" || w.HeartbeatS != 20 || !mapsEqual(w.Limits, wantLimits) {
		t.Fatalf("welcome = %s", welcome.Raw)
	}

	send(t, conn, `{"type":"subscribe","id":1,"symbols":["AAPL","msft"]}`)
	subs := readFrame(t, conn)
	if subs.Type != "subscriptions" || string(subs.ID) != "1" || !slices.Equal(subs.Symbols, []string{"AAPL", "MSFT"}) ||
		subs.Channels == nil || len(subs.Channels) != 0 {
		t.Fatalf("reply = %s, want subscriptions id 1 [AAPL MSFT] []", subs.Raw)
	}
	first := readFrame(t, conn)
	if first.Type != "quotes" {
		t.Fatalf("frame after subscriptions = %s, want quotes", first.Raw)
	}
	seen := map[string]uint64{}
	for _, q := range first.quotes(t) {
		if !q.Snapshot {
			t.Fatalf("first quotes frame has a non-snapshot: %s", first.Raw)
		}
		seen[q.Symbol] = q.Seq
	}
	if len(seen) != 2 {
		t.Fatalf("first quotes frame = %s, want snapshots of AAPL and MSFT", first.Raw)
	}

	// Ticks: only the subscribed symbols, seq strictly increasing, no more
	// snapshots, and several quotes may share a frame.
	ticks := map[string]int{}
	deadline := time.Now().Add(15 * time.Second)
	for (ticks["AAPL"] < 5 || ticks["MSFT"] < 5) && time.Now().Before(deadline) {
		f := readFrame(t, conn)
		if f.Type != "quotes" {
			t.Fatalf("unexpected frame %s", f.Raw)
		}
		for _, q := range f.quotes(t) {
			if q.Symbol != "AAPL" && q.Symbol != "MSFT" {
				t.Fatalf("got unsubscribed symbol: %s", f.Raw)
			}
			if q.Snapshot || q.Seq <= seen[q.Symbol] {
				t.Fatalf("%s seq %d after %d (snapshot=%v)", q.Symbol, q.Seq, seen[q.Symbol], q.Snapshot)
			}
			if _, err := q.Price.Float64(); err != nil || q.TS == 0 {
				t.Fatalf("bad quote %+v", q)
			}
			seen[q.Symbol] = q.Seq
			ticks[q.Symbol]++
		}
	}
	if ticks["AAPL"] < 5 || ticks["MSFT"] < 5 {
		t.Fatalf("ticks within 15s: %v", ticks)
	}

	// Unsubscribe stops a symbol; adding one later starts with its snapshot.
	send(t, conn, `{"type":"unsubscribe","id":"u","symbols":["MSFT"]}`)
	subs = readUntil(t, conn, "subscriptions")
	if string(subs.ID) != `"u"` || !slices.Equal(subs.Symbols, []string{"AAPL"}) {
		t.Fatalf("reply = %s", subs.Raw)
	}
	for n := 0; n < 5; {
		f := readFrame(t, conn)
		for _, q := range f.quotes(t) {
			if q.Symbol != "AAPL" {
				t.Fatalf("got %s after unsubscribing it: %s", q.Symbol, f.Raw)
			}
			n++
		}
	}
	send(t, conn, `{"type":"subscribe","id":2,"symbols":["NVDA"],"max_rate_ms":100}`)
	readUntil(t, conn, "subscriptions")
	for {
		f := readFrame(t, conn)
		qs := f.quotes(t)
		i := slices.IndexFunc(qs, func(q wsQuote) bool { return q.Symbol == "NVDA" })
		if i >= 0 {
			if !qs[i].Snapshot {
				t.Fatalf("first NVDA quote is not a snapshot: %s", f.Raw)
			}
			break
		}
	}
	send(t, conn, `{"type":"ping","id":4}`)
	if f := readUntil(t, conn, "pong"); string(f.ID) != "4" {
		t.Fatalf("pong = %s", f.Raw)
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
