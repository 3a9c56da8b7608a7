package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestCentrifugoSubscribe(t *testing.T) {
	tests := []struct{ syms, want string }{
		{"", `{"id":1,"connect":{}}`},
		{"AAPL", "{\"id\":1,\"connect\":{}}\n{\"id\":2,\"subscribe\":{\"channel\":\"AAPL\"}}"},
		{"AAPL,BRK.B", "{\"id\":1,\"connect\":{}}\n{\"id\":2,\"subscribe\":{\"channel\":\"AAPL\"}}\n{\"id\":3,\"subscribe\":{\"channel\":\"BRK.B\"}}"},
	}
	for _, tt := range tests {
		if got := string(centrifugoSubscribe(tt.syms)); got != tt.want {
			t.Errorf("centrifugoSubscribe(%q) = %q, want %q", tt.syms, got, tt.want)
		}
	}
}

// TestForwardBatch: the ticks of a tickerd quotes frame become one batch
// publishing each on its symbol's channel with the quote as data, byte for
// byte; snapshots are left out.
func TestForwardBatch(t *testing.T) {
	frame := []byte(`{"type":"quotes","data":[{"symbol":"AAPL","price":187.12,"ts":1764000000123,"seq":4211},` +
		`{"symbol":"MSFT","price":2.00,"ts":1764000000100,"seq":9,"snapshot":true},` +
		`{"symbol":"BRK.B","price":3.00,"ts":1764000000120,"seq":7,"dropped":2}]}`)
	var ticks []fwdTick
	eachTick(frame, func(t fwdTick) { ticks = append(ticks, t) })
	body := appendBatch([]byte("junk"), ticks)
	var req struct {
		Commands []struct {
			Publish struct {
				Channel string          `json:"channel"`
				Data    json.RawMessage `json:"data"`
			} `json:"publish"`
		} `json:"commands"`
	}
	if err := json.Unmarshal(body[len("junk"):], &req); err != nil {
		t.Fatalf("batch %s: %v", body, err)
	}
	want := []struct {
		ch, data string
		ts       int64
	}{
		{"AAPL", `{"symbol":"AAPL","price":187.12,"ts":1764000000123,"seq":4211}`, 1764000000123},
		{"BRK.B", `{"symbol":"BRK.B","price":3.00,"ts":1764000000120,"seq":7,"dropped":2}`, 1764000000120},
	}
	if len(req.Commands) != len(want) || len(ticks) != len(want) {
		t.Fatalf("batch %s: %d commands from %d ticks, want %d", body, len(req.Commands), len(ticks), len(want))
	}
	for i, w := range want {
		if c := req.Commands[i].Publish; c.Channel != w.ch || string(c.Data) != w.data || ticks[i].ts != w.ts {
			t.Errorf("command %d = %s %s (ts %d), want %s %s (ts %d)", i, c.Channel, c.Data, ticks[i].ts, w.ch, w.data, w.ts)
		}
	}
}

// TestCentrifugoFrame: the quotes inside Centrifugo's pushes are counted
// like tickerd's, several pushes to a frame; error replies and disconnect
// pushes are counted as such; pings are recognised.
func TestCentrifugoFrame(t *testing.T) {
	e := &env{centrifugo: true, clk: &clock{}, lat: []*Histogram{{}}, first: newFirstSeen([]string{"AAPL", "MSFT"})}
	st := &clientStats{errors: map[string]int64{}, closes: map[int]int64{}}
	e.handleFrame(0, []byte(`{"id":1,"connect":{"client":"c","version":"6.9.1","ping":25,"pong":true}}`), st)
	e.handleFrame(0, []byte(`{"push":{"channel":"AAPL","pub":{"data":{"symbol":"AAPL","price":1.00,"ts":1000,"seq":1}}}}`+"\n"+
		`{"push":{"channel":"MSFT","pub":{"data":{"symbol":"MSFT","price":2.00,"ts":1001,"seq":5},"offset":3}}}`), st)
	e.handleFrame(0, []byte(`{"id":3,"error":{"code":102,"message":"unknown channel"}}`), st)
	e.handleFrame(0, []byte(`{"push":{"disconnect":{"code":3012,"reason":"no pong"}}}`), st)
	if st.quotes[phaseRamp] != 2 || st.frames[phaseRamp] != 1 {
		t.Errorf("quotes %d in %d frames, want 2 in 1", st.quotes[phaseRamp], st.frames[phaseRamp])
	}
	if st.errors["centrifugo_error_102"] != 1 || st.closes[3012] != 1 {
		t.Errorf("errors %v, closes %v; want centrifugo_error_102 and a 3012", st.errors, st.closes)
	}
	for frame, want := range map[string]bool{
		`{}`: true, "{\"push\":{}}\n{}": true, "{}\n{\"id\":1}": true,
		`{"id":1}`: false, `{"push":{"channel":"A","pub":{"data":{}}}}`: false,
	} {
		if got := centrifugoPing([]byte(frame)); got != want {
			t.Errorf("centrifugoPing(%q) = %v, want %v", frame, got, want)
		}
	}
}

// TestForwardInTable: a Centrifugo run's table shows the forwarder's hop,
// which is part of the latency it reports.
func TestForwardInTable(t *testing.T) {
	rep := Report{Errors: map[string]int64{}, Forward: &ForwardStats{Ticks: 2400, Failed: 1, Hop: Percentiles{Count: 2400, P50: 0.9}}}
	var sb strings.Builder
	if err := rep.WriteTable(&sb); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sb.String(), "forward ms") || !strings.Contains(sb.String(), "2400 ticks relayed, 1 batches failed") {
		t.Errorf("table without the forwarder's row:\n%s", sb.String())
	}
}
