package main

import (
	"sync"
	"time"
)

// firstSeen times each tick's first delivery to any client of the run, so
// that every later delivery of the same tick can be measured against it
// with the tool's own clock alone. A quote's ts is wall-clock milliseconds,
// truncated by the server, so "receipt minus ts" holds up to a millisecond
// that is not latency; "receipt minus first receipt" (the spread of a
// tick's fan-out over the clients) has no such error, and "first receipt
// minus ts" shows the rest: the truncation plus the time to the first
// client.
//
// Each symbol keeps the first receipts of its last firstRing seqs; a tick
// older than that when a client receives it (a client far behind) is not
// timed. Readers share it under one mutex per symbol.
type firstSeen struct {
	index map[string]int // symbol → slot; never modified after newFirstSeen
	slots []firstSlot
	first *Histogram // per tick: first receipt minus ts
	later *Histogram // per delivery: receipt minus the tick's first receipt
}

// firstRing is how many recent seqs of a symbol are timed.
const firstRing = 64

type firstSlot struct {
	mu   sync.Mutex
	seqs [firstRing]int64
	at   [firstRing]int64 // Unix ns of the first receipt of seqs[k]
}

func newFirstSeen(universe []string) *firstSeen {
	f := &firstSeen{index: make(map[string]int, len(universe)), slots: make([]firstSlot, len(universe)),
		first: &Histogram{}, later: &Histogram{}}
	for i, s := range universe {
		f.index[s] = i
	}
	return f
}

// see times one delivery, received at now (Unix ns), of a tick (not a
// snapshot) inside the window. A nil firstSeen does nothing.
func (f *firstSeen) see(q scannedQuote, now int64) {
	if f == nil {
		return
	}
	k, ok := f.index[string(q.symbol)] // no allocation: compiler-recognised conversion
	if !ok || q.seq <= 0 {
		return
	}
	s := &f.slots[k]
	j := q.seq % firstRing
	s.mu.Lock()
	switch {
	case s.seqs[j] < q.seq: // the first receipt of this tick
		s.seqs[j], s.at[j] = q.seq, now
		s.mu.Unlock()
		f.first.Record(time.Duration(now - q.ts*int64(time.Millisecond)))
		f.later.Record(0)
	case s.seqs[j] == q.seq:
		first := s.at[j]
		if now < first { // another reader saw it earlier but timed it later
			s.at[j], first = now, now
		}
		s.mu.Unlock()
		f.later.Record(time.Duration(now - first))
	default: // older than the ring: not timed
		s.mu.Unlock()
	}
}
