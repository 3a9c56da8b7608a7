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

type symbolSeq struct {
	symbol string
	seq    int64
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
		t.last = append(t.last, symbolSeq{symbol: string(q.symbol), seq: q.seq})
		return
	}
	last := &t.last[k].seq
	switch {
	case q.snapshot:
	case q.seq <= *last:
		t.backwards[ph]++
		return
	case q.seq > *last+1:
		skipped := q.seq - *last - 1
		t.gaps[ph]++
		t.missing[ph] += skipped
		t.unannounced[ph] += max(skipped-q.dropped, 0)
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
