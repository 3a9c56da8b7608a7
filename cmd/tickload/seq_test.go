package main

import (
	"testing"
	"time"
)

func TestSeqTracker(t *testing.T) {
	type in struct {
		ph      phase
		symbol  string
		seq     int64
		dropped int64
		snap    bool
	}
	m := phaseMeasure
	tests := []struct {
		name                                         string
		quotes                                       []in
		gaps, missing, dropped, unannounced, backwds int64
	}{
		{"every tick", []in{{m, "A", 5, 0, true}, {m, "A", 6, 0, false}, {m, "B", 1, 0, true}, {m, "A", 7, 0, false}, {m, "B", 2, 0, false}},
			0, 0, 0, 0, 0},
		{"announced gap", []in{{m, "A", 5, 0, true}, {m, "A", 9, 3, false}, {m, "A", 10, 0, false}},
			1, 3, 3, 0, 0},
		{"unannounced gap", []in{{m, "A", 5, 0, true}, {m, "A", 6, 0, false}, {m, "A", 9, 0, false}},
			1, 2, 0, 2, 0},
		{"gaps per symbol", []in{{m, "A", 1, 0, true}, {m, "B", 1, 0, true}, {m, "A", 3, 1, false}, {m, "B", 5, 3, false}},
			2, 4, 4, 0, 0},
		{"snapshot restarts the count", []in{{m, "A", 5, 0, true}, {m, "A", 50, 0, true}, {m, "A", 51, 0, false}},
			0, 0, 0, 0, 0},
		{"backwards", []in{{m, "A", 5, 0, true}, {m, "A", 6, 0, false}, {m, "A", 6, 0, false}},
			0, 0, 0, 0, 1},
		{"gap outside the window not counted", []in{{phaseRamp, "A", 1, 0, true}, {phaseRamp, "A", 4, 2, false}, {m, "A", 5, 0, false}},
			0, 0, 0, 0, 0},
		{"no seq: ignored", []in{{m, "A", 0, 0, false}, {m, "", 7, 0, false}}, 0, 0, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var st seqTracker
			for _, q := range tt.quotes {
				var sym []byte
				if q.symbol != "" {
					sym = []byte(q.symbol)
				}
				st.see(q.ph, scannedQuote{symbol: sym, seq: q.seq, dropped: q.dropped, snapshot: q.snap})
			}
			var sum seqTracker
			sum.add(&st)
			sum.add(&seqTracker{})
			got := []int64{sum.gaps[m], sum.missing[m], sum.dropped[m], sum.unannounced[m], sum.backwards[m]}
			want := []int64{tt.gaps, tt.missing, tt.dropped, tt.unannounced, tt.backwds}
			for i, name := range []string{"gaps", "missing", "dropped", "unannounced", "backwards"} {
				if got[i] != want[i] {
					t.Errorf("%s = %d, want %d", name, got[i], want[i])
				}
			}
		})
	}
}

func TestDeliveryFigures(t *testing.T) {
	var st seqTracker
	st.gaps[phaseMeasure], st.missing[phaseMeasure], st.dropped[phaseMeasure] = 3, 10, 8
	st.unannounced[phaseMeasure] = 2
	st.gaps[phaseRamp], st.missing[phaseRamp] = 100, 100 // before the window: not reported
	d := delivery(&st, 990, 50, 2, 10*time.Second)
	if d.Expected != 1000 || d.Delivered != 990 || d.DeliveredPct != 99 {
		t.Fatalf("expected %v delivered %d pct %v, want 1000, 990, 99", d.Expected, d.Delivered, d.DeliveredPct)
	}
	if d.SeqGaps != 3 || d.SeqMissing != 10 || d.Dropped != 8 || d.Unannounced != 2 || d.DeliveredSeqPct != 99 {
		t.Fatalf("seq figures = %+v", d)
	}
	if d := delivery(&seqTracker{}, 0, 0, 2, time.Second); d.DeliveredPct != 0 || d.DeliveredSeqPct != 0 {
		t.Fatalf("nothing to divide by: %+v", d)
	}
}

func TestParseCounter(t *testing.T) {
	text := []byte(`# HELP tickerd_quotes_conflated_total Undelivered quotes dropped.
# TYPE tickerd_quotes_conflated_total counter
tickerd_quotes_conflated_total_other 5
tickerd_quotes_conflated_total 1234
tickerd_quotes_delivered_total 9.87e+06
`)
	if v, err := parseCounter(text, metricConflated); err != nil || v != 1234 {
		t.Fatalf("conflated = %v, %v; want 1234", v, err)
	}
	if v, err := parseCounter(text, "tickerd_quotes_delivered_total"); err != nil || v != 9.87e6 {
		t.Fatalf("delivered = %v, %v", v, err)
	}
	if _, err := parseCounter(text, "tickerd_nope_total"); err == nil {
		t.Fatal("a missing metric parsed")
	}
}

// TestDeliveredIn: the ticks of a window of seqs a client received,
// whatever gaps, resubscriptions and the window's edges cut out.
func TestDeliveredIn(t *testing.T) {
	type q struct {
		seq  int64
		snap bool
	}
	tests := []struct {
		name   string
		quotes []q
		s0, s1 int64
		want   int64
	}{
		{"all", []q{{5, true}, {6, false}, {7, false}, {8, false}}, 5, 8, 3},
		{"window inside", []q{{1, true}, {2, false}, {3, false}, {4, false}, {5, false}}, 2, 4, 2},
		{"tail never came", []q{{5, true}, {6, false}, {7, false}}, 5, 10, 2},
		{"before the window", []q{{5, true}, {6, false}}, 6, 9, 0},
		{"gap inside", []q{{5, true}, {6, false}, {9, false}, {10, false}}, 5, 10, 3},
		{"gap across the start", []q{{1, true}, {2, false}, {6, false}, {7, false}}, 4, 7, 2},
		{"gap across the end", []q{{1, true}, {2, false}, {6, false}}, 1, 4, 1},
		{"resubscribed", []q{{1, true}, {2, false}, {5, true}, {6, false}}, 1, 6, 2},
		{"first quote a tick", []q{{3, false}, {4, false}}, 2, 4, 2},
		{"backwards not counted", []q{{3, true}, {4, false}, {4, false}}, 3, 4, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var st seqTracker
			for _, x := range tt.quotes {
				st.see(phaseMeasure, scannedQuote{symbol: []byte("A"), seq: x.seq, snapshot: x.snap})
			}
			if got := st.last[0].deliveredIn(tt.s0, tt.s1); got != tt.want {
				t.Fatalf("deliveredIn(%d, %d) = %d, want %d (holes %v)", tt.s0, tt.s1, got, tt.want, st.last[0].holes)
			}
		})
	}
}

// TestFirstSeen: each delivery of a tick is timed from its first receipt,
// even when the reader that received it first records it last.
func TestFirstSeen(t *testing.T) {
	f := newFirstSeen([]string{"A", "B"})
	ms := int64(time.Millisecond)
	t0 := int64(1_000_000) * ms // Unix ns; ts is in ms
	q := func(sym string, seq int64) scannedQuote {
		return scannedQuote{symbol: []byte(sym), seq: seq, ts: t0/ms - 1}
	}
	f.see(q("A", 7), t0)      // first: 1 ms after ts
	f.see(q("A", 7), t0+2*ms) // 2 ms after the first
	f.see(q("B", 7), t0+9*ms) // another symbol: its own first
	f.see(q("A", 8), t0+3*ms)
	f.see(q("A", 8), t0+1*ms) // received before the one recorded first
	f.see(q("A", 8), t0+4*ms)
	f.see(q("A", 7+firstRing), t0+5*ms) // displaces seq 7
	f.see(q("A", 7), t0+6*ms)           // too old: not timed
	f.see(q("Z", 1), t0)                // not in the universe
	if n := f.later.Count(); n != 7 {
		t.Fatalf("%d deliveries timed, want 7", n)
	}
	if n := f.first.Count(); n != 4 {
		t.Fatalf("%d first receipts, want 4", n)
	}
	// Spreads 0, 2, 0, 0, 0 (the earlier receipt resets the first), 3, 0.
	if mx := f.later.Max(); mx != 3*time.Millisecond {
		t.Fatalf("largest spread %v, want 3ms", mx)
	}
	if p := f.later.Quantile(0.5); p != 0 {
		t.Fatalf("median spread %v, want 0", p)
	}
	if mn := f.first.Min(); mn != time.Millisecond {
		t.Fatalf("smallest first latency %v, want 1ms", mn)
	}
}
