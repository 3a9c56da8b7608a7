package web

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
)

// replayQuote is what the resume tests check of a quote.
type replayQuote struct {
	Symbol   string `json:"symbol"`
	Seq      uint64 `json:"seq"`
	Snapshot bool   `json:"snapshot"`
	Resumed  *bool  `json:"resumed"`
	Dropped  uint64 `json:"dropped"`
}

// seqLog checks that a client sees every seq of its symbols exactly once,
// in order, across connections.
type seqLog struct {
	t    *testing.T
	last map[string]uint64
	n    map[string]int // quotes seen after the first snapshot
}

func newSeqLog(t *testing.T) *seqLog {
	return &seqLog{t: t, last: map[string]uint64{}, n: map[string]int{}}
}

// add records the quotes of one frame or event: a symbol's first quote is
// a plain snapshot, and every later one, on any connection, the next seq.
func (l *seqLog) add(data []byte) {
	l.t.Helper()
	var qs []replayQuote
	if err := json.Unmarshal(data, &qs); err != nil {
		l.t.Fatalf("quotes %s: %v", data, err)
	}
	for _, q := range qs {
		last, ok := l.last[q.Symbol]
		switch {
		case !ok:
			if !q.Snapshot || q.Resumed != nil {
				l.t.Fatalf("first quote of %s = %+v, want a plain snapshot", q.Symbol, q)
			}
		case q.Snapshot || q.Resumed != nil || q.Dropped != 0 || q.Seq != last+1:
			l.t.Fatalf("%s after seq %d: got %+v, want seq %d exactly, no snapshot or drop", q.Symbol, last, q, last+1)
		default:
			l.n[q.Symbol]++
		}
		l.last[q.Symbol] = q.Seq
	}
}

// since is the resume point: the last seq seen per symbol.
func (l *seqLog) since() map[string]uint64 {
	out := map[string]uint64{}
	for k, v := range l.last {
		out[k] = v
	}
	return out
}

// TestWSResumeLosesNothing: a client reads ticks, loses its connection
// mid-stream, reconnects after a pause with since, and sees every seq
// exactly once, in order, across both connections.
func TestWSResumeLosesNothing(t *testing.T) {
	ts := startTestServer(t, Config{})
	token := ts.register(t, "alice", "correct horse battery")
	log := newSeqLog(t)
	syms := []string{"AAPL", "MSFT", "KO"}
	read := func(conn *websocket.Conn, ticks int) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			done := true
			for _, s := range syms {
				done = done && log.n[s] >= ticks
			}
			if done {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("only %v ticks within 20s", log.n)
			}
			if f := readFrame(t, conn); f.Type == "quotes" {
				log.add(f.Data)
			}
		}
	}

	conn := mustDialWS(t, ts, token)
	send(t, conn, `{"type":"subscribe","id":1,"symbols":["AAPL","MSFT","KO"]}`)
	readUntil(t, conn, "subscriptions")
	read(conn, 10)
	_ = conn.UnderlyingConn().Close() // dropped mid-stream, no close frame

	time.Sleep(time.Second) // about 20 ticks of each symbol go by
	since, _ := json.Marshal(log.since())
	conn = mustDialWS(t, ts, token)
	defer conn.Close()
	send(t, conn, fmt.Sprintf(`{"type":"subscribe","id":2,"symbols":["AAPL","MSFT","KO"],"since":%s}`, since))
	readUntil(t, conn, "subscriptions")
	read(conn, 50)
}

// TestWSResumeNotHeld: a since the server cannot serve (ahead of the
// symbol, as after a restart) gets the snapshot marked "resumed":false;
// a malformed one is refused with invalid_field.
func TestWSResumeNotHeld(t *testing.T) {
	ts := startTestServer(t, Config{})
	token := ts.register(t, "alice", "correct horse battery")
	conn := mustDialWS(t, ts, token)
	defer conn.Close()
	for _, msg := range []string{
		`{"type":"subscribe","id":1,"symbols":["AAPL"],"since":{"MSFT":1}}`,
		`{"type":"subscribe","id":1,"symbols":["AAPL"],"since":{"AAPL":-1}}`,
		`{"type":"subscribe","id":1,"symbols":["AAPL"],"since":{"AAPL":"12"}}`,
		`{"type":"subscribe","id":1,"symbols":["AAPL"],"since":{"NOPE":1}}`,
	} {
		sendRaw(t, conn, msg)
		if f := readUntil(t, conn, "error"); f.Code != "invalid_field" {
			t.Fatalf("%s: %s, want invalid_field", msg, f.Raw)
		}
	}
	send(t, conn, `{"type":"subscribe","id":2,"symbols":["AAPL","MSFT"],"since":{"AAPL":999999999}}`)
	readUntil(t, conn, "subscriptions")
	got := map[string]replayQuote{}
	for len(got) < 2 {
		var qs []replayQuote
		if err := json.Unmarshal(readUntil(t, conn, "quotes").Data, &qs); err != nil {
			t.Fatal(err)
		}
		for _, q := range qs {
			if _, ok := got[q.Symbol]; !ok {
				got[q.Symbol] = q
			}
		}
	}
	if a := got["AAPL"]; !a.Snapshot || a.Resumed == nil || *a.Resumed {
		t.Fatalf("AAPL = %+v, want a snapshot with resumed:false", a)
	}
	if m := got["MSFT"]; !m.Snapshot || m.Resumed != nil {
		t.Fatalf("MSFT = %+v, want a plain snapshot", m)
	}
}

// TestSSEResumeLosesNothing: the same over Server-Sent Events, the resume
// point in the query.
func TestSSEResumeLosesNothing(t *testing.T) {
	ts := startTestServer(t, Config{})
	token := ts.register(t, "alice", "correct horse battery")
	log := newSeqLog(t)
	read := func(ch <-chan sseEvent, ticks int) {
		t.Helper()
		for log.n["AAPL"] < ticks || log.n["MSFT"] < ticks {
			ev := nextEvent(t, ch, "quotes")
			var m struct {
				Data json.RawMessage `json:"data"`
			}
			if err := json.Unmarshal([]byte(ev.data), &m); err != nil {
				t.Fatal(err)
			}
			log.add(m.Data)
		}
	}
	ch, drop := openSSEDroppable(t, ts, token, "/api/v1/stream?symbols=AAPL,MSFT")
	read(ch, 10)
	drop()

	time.Sleep(time.Second)
	var pairs []string
	for sym, seq := range log.since() {
		pairs = append(pairs, fmt.Sprintf("%s:%d", sym, seq))
	}
	ch = openSSE(t, ts, token, "/api/v1/stream?symbols=AAPL,MSFT&since="+url.QueryEscape(strings.Join(pairs, ",")))
	read(ch, 50)
}
