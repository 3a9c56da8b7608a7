package feed

import (
	"encoding/json"
	"math"
	"testing"
)

func TestQuoteAppendJSON(t *testing.T) {
	tests := []struct {
		name     string
		q        Quote
		snapshot bool
		want     string
	}{
		{
			name: "up",
			q: Quote{Symbol: "AAPL", Price: 18712, PrevClose: 18659, Open: 18700, High: 18800,
				Low: 18650, Volume: 12345, TS: 1764000000123, Seq: 4211},
			want: `{"symbol":"AAPL","price":187.12,"change":0.53,"change_pct":0.28,"open":187.00,` +
				`"high":188.00,"low":186.50,"prev_close":186.59,"volume":12345,"ts":1764000000123,"seq":4211}`,
		},
		{
			name: "negative change",
			q: Quote{Symbol: "MSFT", Price: 9950, PrevClose: 10000, Open: 10000, High: 10010,
				Low: 9940, Volume: 1, TS: 1, Seq: 1},
			want: `{"symbol":"MSFT","price":99.50,"change":-0.50,"change_pct":-0.50,"open":100.00,` +
				`"high":100.10,"low":99.40,"prev_close":100.00,"volume":1,"ts":1,"seq":1}`,
		},
		{
			name: "sub-dollar",
			q:    Quote{Symbol: "PNY", Price: 5, PrevClose: 7, Open: 7, High: 7, Low: 5, Seq: 2},
			want: `{"symbol":"PNY","price":0.05,"change":-0.02,"change_pct":-28.57,"open":0.07,` +
				`"high":0.07,"low":0.05,"prev_close":0.07,"volume":0,"ts":0,"seq":2}`,
		},
		{
			name: "zero prev close",
			q:    Quote{Symbol: "NEW", Price: 100, Open: 100, High: 100, Low: 100},
			want: `{"symbol":"NEW","price":1.00,"change":1.00,"change_pct":0.00,"open":1.00,` +
				`"high":1.00,"low":1.00,"prev_close":0.00,"volume":0,"ts":0,"seq":0}`,
		},
		{
			name: "snapshot",
			q: Quote{Symbol: "BRK.B", Price: 41200, PrevClose: 41200, Open: 41200, High: 41200,
				Low: 41200, Volume: 0, TS: 1764000000000, Seq: 0},
			snapshot: true,
			want: `{"symbol":"BRK.B","price":412.00,"change":0.00,"change_pct":0.00,"open":412.00,` +
				`"high":412.00,"low":412.00,"prev_close":412.00,"volume":0,"ts":1764000000000,"seq":0,"snapshot":true}`,
		},
		{
			name: "halted snapshot",
			q: Quote{Symbol: "AAPL", Price: 18712, PrevClose: 18712, Open: 18712, High: 18712,
				Low: 18712, Volume: 7, TS: 5, Seq: 9, Status: StatusHalted},
			snapshot: true,
			want: `{"symbol":"AAPL","price":187.12,"change":0.00,"change_pct":0.00,"open":187.12,` +
				`"high":187.12,"low":187.12,"prev_close":187.12,"volume":7,"ts":5,"seq":9,"status":"halted","snapshot":true}`,
		},
		{
			name: "reopened",
			q: Quote{Symbol: "AAPL", Price: 18712, PrevClose: 18712, Open: 18712, High: 18712,
				Low: 18712, Volume: 7, TS: 6, Seq: 10, Status: StatusOpen},
			want: `{"symbol":"AAPL","price":187.12,"change":0.00,"change_pct":0.00,"open":187.12,` +
				`"high":187.12,"low":187.12,"prev_close":187.12,"volume":7,"ts":6,"seq":10,"status":"open"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.q.AppendJSON([]byte("prefix:"), tt.snapshot)
			if string(got[:7]) != "prefix:" {
				t.Fatalf("AppendJSON overwrote dst: %q", got)
			}
			got = got[7:]
			if string(got) != tt.want {
				t.Errorf("AppendJSON\n got %s\nwant %s", got, tt.want)
			}
			var m map[string]any
			if err := json.Unmarshal(got, &m); err != nil {
				t.Fatalf("not valid JSON: %v", err)
			}
			if m["symbol"] != tt.q.Symbol || m["seq"] != float64(tt.q.Seq) {
				t.Errorf("decoded %v", m)
			}
			if _, ok := m["snapshot"]; ok != tt.snapshot {
				t.Errorf("snapshot field present = %v, want %v", ok, tt.snapshot)
			}
			if st, _ := m["status"].(string); st != tt.q.Status.String() {
				t.Errorf("status %q, want %q", st, tt.q.Status)
			}
		})
	}
}

func TestAppendCents(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{0, "0.00"},
		{5, "0.05"},
		{-5, "-0.05"},
		{10, "0.10"},
		{100, "1.00"},
		{18712, "187.12"},
		{-18712, "-187.12"},
		{123456789012345, "1234567890123.45"},
		{math.MaxInt64, "92233720368547758.07"},
		{math.MinInt64, "-92233720368547758.08"},
	}
	for _, tt := range tests {
		if got := string(AppendCents(nil, tt.in)); got != tt.want {
			t.Errorf("AppendCents(%d) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestRatioBP(t *testing.T) {
	tests := []struct {
		num, den, want int64
	}{
		{0, 5, 0},
		{5, 0, 0},
		{1, 3, 3333},    // 3333.33
		{2, 3, 6667},    // 6666.67
		{1, 20000, 1},   // 0.5 rounds away from zero
		{-1, 20000, -1}, // -0.5 rounds away from zero
		{1, 20001, 0},   // 0.49998
		{53, 18659, 28}, // 28.40
		{-50, 10000, -50},
		{1, -3, -3333},
		{-1, -3, 3333},
		{-2, 7, -2857}, // -2857.14
		{10000, 1, 100000000},
	}
	for _, tt := range tests {
		if got := RatioBP(tt.num, tt.den); got != tt.want {
			t.Errorf("RatioBP(%d, %d) = %d, want %d", tt.num, tt.den, got, tt.want)
		}
	}
}

func TestQuoteAppendJSONAllocs(t *testing.T) {
	buf := make([]byte, 0, 256)
	for _, st := range []QuoteStatus{StatusTrading, StatusHalted, StatusOpen} {
		q := Quote{Symbol: "AAPL", Price: 18712, PrevClose: 18659, Seq: 1, Status: st}
		if n := testing.AllocsPerRun(100, func() { buf = q.AppendJSON(buf[:0], true) }); n != 0 {
			t.Errorf("status %q: %v allocations, want 0", st, n)
		}
	}
}

func BenchmarkQuoteAppendJSON(b *testing.B) {
	q := Quote{Symbol: "AAPL", Price: 18712, PrevClose: 18659, Open: 18700, High: 18800,
		Low: 18650, Volume: 12345678, TS: 1764000000123, Seq: 4211}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = q.AppendJSON(buf[:0], false)
	}
	b.SetBytes(int64(len(buf)))
}
