package main

import (
	"slices"
	"testing"
)

func TestScanQuotes(t *testing.T) {
	type q struct {
		ts   int64
		snap bool
	}
	tests := []struct {
		name  string
		frame string
		want  []q
	}{
		{"none", `{"type":"welcome","user":"alice","heartbeat_s":20}`, nil},
		{"one tick",
			`{"type":"quotes","data":[{"symbol":"AAPL","price":187.12,"change":0.53,"change_pct":0.28,"open":186.00,"high":188.00,"low":185.50,"prev_close":186.59,"volume":1200,"ts":1764000000123,"seq":4211}]}`,
			[]q{{1764000000123, false}}},
		{"snapshot flag after ts",
			`{"type":"quotes","data":[{"symbol":"AAPL","price":1.00,"ts":1000,"seq":1,"snapshot":true},{"symbol":"MSFT","price":2.00,"ts":2000,"seq":9}]}`,
			[]q{{1000, true}, {2000, false}}},
		{"snapshot flag before ts",
			`{"type":"quotes","data":[{"snapshot":true,"symbol":"A","ts":5},{"symbol":"B","ts":6}]}`,
			[]q{{5, true}, {6, false}}},
		{"snapshot false is a tick", `{"data":[{"ts":7,"snapshot":false}]}`, []q{{7, false}}},
		{"spaces after colon", `{"data":[{"ts": 42}]}`, []q{{42, false}}},
		{"malformed ts skipped", `{"data":[{"ts":"x"},{"ts":9}]}`, []q{{9, false}}},
		{"overflow skipped", `{"data":[{"ts":99999999999999999999},{"ts":1}]}`, []q{{1, false}}},
		{"truncated frame", `{"data":[{"ts":12`, []q{{12, false}}},
		{"sse data without type", `[{"symbol":"A","ts":3},{"symbol":"B","ts":4,"snapshot":true}]`, []q{{3, false}, {4, true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []q
			n := scanQuotes([]byte(tt.frame), func(sq scannedQuote) { got = append(got, q{sq.ts, sq.snapshot}) })
			if !slices.Equal(got, tt.want) || n != len(tt.want) {
				t.Fatalf("got %v (n=%d), want %v", got, n, tt.want)
			}
		})
	}
}

func TestFrameTypeAndCode(t *testing.T) {
	tests := []struct {
		frame, typ, code string
	}{
		{`{"type":"quotes","data":[]}`, "quotes", ""},
		{`{"type":"error","id":1,"code":"unknown_symbol","message":"x"}`, "error", "unknown_symbol"},
		{`{"id":1}`, "", ""},
		{`{"type":"unterminated`, "", ""},
	}
	for _, tt := range tests {
		if got := string(frameType([]byte(tt.frame))); got != tt.typ {
			t.Errorf("frameType(%s) = %q, want %q", tt.frame, got, tt.typ)
		}
		if got := string(frameCode([]byte(tt.frame))); got != tt.code {
			t.Errorf("frameCode(%s) = %q, want %q", tt.frame, got, tt.code)
		}
	}
}

// TestScanQuotesFields: symbol, seq and dropped are read from the quote's
// own object, never from a neighbour's.
func TestScanQuotesFields(t *testing.T) {
	type q struct {
		symbol       string
		ts, seq, drp int64
		snap         bool
	}
	tests := []struct {
		name  string
		frame string
		want  []q
	}{
		{"server order",
			`{"type":"quotes","data":[{"symbol":"AAPL","price":187.12,"volume":1200,"ts":1764000000123,"seq":4211}]}`,
			[]q{{"AAPL", 1764000000123, 4211, 0, false}}},
		{"snapshot then dropped",
			`{"type":"quotes","data":[{"symbol":"A","ts":1,"seq":7,"snapshot":true},{"symbol":"B","ts":2,"seq":9,"dropped":3}]}`,
			[]q{{"A", 1, 7, 0, true}, {"B", 2, 9, 3, false}}},
		{"no dropped leaks from the next quote",
			`{"data":[{"symbol":"A","ts":1,"seq":2},{"symbol":"A","ts":2,"seq":5,"dropped":2}]}`,
			[]q{{"A", 1, 2, 0, false}, {"A", 2, 5, 2, false}}},
		{"keys before ts", `{"data":[{"seq":4,"symbol":"X","dropped":1,"ts":3}]}`, []q{{"X", 3, 4, 1, false}}},
		{"missing seq and symbol", `{"data":[{"ts":3}]}`, []q{{"", 3, 0, 0, false}}},
		{"malformed seq reads 0", `{"data":[{"symbol":"A","ts":3,"seq":"x"}]}`, []q{{"A", 3, 0, 0, false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []q
			scanQuotes([]byte(tt.frame), func(s scannedQuote) {
				got = append(got, q{string(s.symbol), s.ts, s.seq, s.dropped, s.snapshot})
			})
			if !slices.Equal(got, tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestScanQuotesAllocatesNothing(t *testing.T) {
	frame := []byte(`{"type":"quotes","data":[{"symbol":"A","ts":1,"seq":3},{"symbol":"B","ts":2,"seq":5,"snapshot":true},{"symbol":"C","ts":2,"seq":9,"dropped":2}]}`)
	var sum int64
	allocs := testing.AllocsPerRun(100, func() {
		scanQuotes(frame, func(q scannedQuote) { sum += q.ts + q.seq + q.dropped + int64(len(q.symbol)) })
	})
	if allocs != 0 {
		t.Fatalf("scanQuotes allocates %v times per frame", allocs)
	}
}

func TestAssignSymbols(t *testing.T) {
	u := []string{"A", "B", "C", "D", "E"}
	rr, err := assignSymbols(u, 4, 2, spreadRoundRobin, 1)
	if err != nil || !slices.Equal(rr, []string{"A,B", "C,D", "E,A", "B,C"}) {
		t.Fatalf("round-robin = %v, %v", rr, err)
	}
	same, _ := assignSymbols(u, 2, 3, spreadSame, 1)
	if !slices.Equal(same, []string{"A,B,C", "A,B,C"}) {
		t.Fatalf("same = %v", same)
	}
	a, _ := assignSymbols(u, 50, 3, spreadUniform, 7)
	b, _ := assignSymbols(u, 50, 3, spreadUniform, 7)
	if !slices.Equal(a, b) {
		t.Fatal("uniform is not reproducible for one seed")
	}
	distinct := map[string]bool{}
	for _, s := range a {
		distinct[s] = true
		if s[0] == s[2] || s[0] == s[4] || s[2] == s[4] {
			t.Fatalf("uniform picked a symbol twice: %s", s)
		}
	}
	if len(distinct) < 5 {
		t.Fatalf("uniform gave only %d distinct sets of 50", len(distinct))
	}
	if _, err := assignSymbols(u, 1, 6, spreadUniform, 1); err == nil {
		t.Fatal("K above the universe accepted")
	}
	if _, err := assignSymbols(u, 1, 1, "zipf", 1); err == nil {
		t.Fatal("unknown spread accepted")
	}
}
