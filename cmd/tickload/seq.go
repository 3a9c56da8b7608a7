package main

// seqTracker follows one client's per-symbol seq so that a tick the server
// never delivered cannot hide inside a throughput figure. Every tick of a
// symbol has seq one above the previous; a quote whose seq is more than one
// above the last one the client saw of its symbol ends a gap. A snapshot
// (after subscribing) starts a symbol's count afresh.
//
// Counts are by phase of the quote that ends the gap. Its reader owns it; a
// client holds few symbols, so they are looked up in a slice, and a symbol's
// name is copied once, when it is first seen.
type seqTracker struct {
	last        []symbolSeq
	gaps        [numPhases]int64 // quotes that followed a gap
	missing     [numPhases]int64 // ticks skipped in those gaps
	dropped     [numPhases]int64 // ticks the server announced with "dropped"
	unannounced [numPhases]int64 // skipped ticks beyond what "dropped" announced
	backwards   [numPhases]int64 // quotes whose seq was not above the last one (never expected)
}

// symbolSeq is one symbol of a client: the last seq seen, and what the
// client received since it subscribed, for counting the ticks it got of a
// window of the server's seqs (see deliveredIn).
type symbolSeq struct {
	symbol string
	seq    int64     // the last seq seen
	base   int64     // ticks above base were received, but for holes
	holes  []seqSpan // seqs skipped since base, in order (rare: nil without gaps)
}

// seqSpan is the seqs from through to, both included.
type seqSpan struct{ from, to int64 }

// deliveredIn counts the ticks with seq in (s0, s1] that the client
// received of the symbol. Snapshots are not ticks: a (re)subscription's
// snapshot only says where the received ticks start.
func (s *symbolSeq) deliveredIn(s0, s1 int64) int64 {
	lo, hi := max(s.base, s0), min(s.seq, s1) // received: (lo, hi] but for holes
	if hi <= lo {
		return 0
	}
	n := hi - lo
	for _, h := range s.holes {
		n -= max(min(h.to, hi)-max(h.from-1, lo), 0)
	}
	return n
}

// see accounts for one quote received in phase ph.
func (t *seqTracker) see(ph phase, q scannedQuote) {
	if q.symbol == nil || q.seq <= 0 {
		return
	}
	t.dropped[ph] += q.dropped
	k := -1
	for j := range t.last {
		if t.last[j].symbol == string(q.symbol) {
			k = j
			break
		}
	}
	if k < 0 {
		base := q.seq
		if !q.snapshot {
			base-- // this tick was received
		}
		t.last = append(t.last, symbolSeq{symbol: string(q.symbol), seq: q.seq, base: base})
		return
	}
	s := &t.last[k]
	last := &s.seq
	switch {
	case q.snapshot:
		if q.seq > *last { // the ticks in between, and the snapshot's own, never came as ticks
			s.holes = append(s.holes, seqSpan{*last + 1, q.seq})
		}
	case q.seq <= *last:
		t.backwards[ph]++
		return
	case q.seq > *last+1:
		skipped := q.seq - *last - 1
		t.gaps[ph]++
		t.missing[ph] += skipped
		t.unannounced[ph] += max(skipped-q.dropped, 0)
		s.holes = append(s.holes, seqSpan{*last + 1, q.seq - 1})
	}
	*last = q.seq
}

// add merges another client's counts (not its symbols).
func (t *seqTracker) add(o *seqTracker) {
	for p := range numPhases {
		t.gaps[p] += o.gaps[p]
		t.missing[p] += o.missing[p]
		t.dropped[p] += o.dropped[p]
		t.unannounced[p] += o.unannounced[p]
		t.backwards[p] += o.backwards[p]
	}
}
