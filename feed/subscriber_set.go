package feed

import "time"

// SnapshotFunc returns the latest quote of a symbol; Subscribe uses it for
// symbols the hub has not seen a tick of yet. Market.Quote fits.
type SnapshotFunc func(symbol string) (Quote, bool)

// Subscribe adds symbols to the subscriber's quote set. Each newly added
// symbol's first delivery is a snapshot (its latest quote, from the hub or
// from latest, which may be nil). every > 0 delivers at most one quote per
// symbol per interval, the latest winning (the others count as dropped); it
// also applies to symbols that were already subscribed. It returns how many symbols were newly added.
func (s *Subscriber) Subscribe(symbols []string, every time.Duration, latest SnapshotFunc) int {
	added := 0
	for _, sym := range symbols {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return added
		}
		sl, ok := s.slots[sym]
		if ok {
			if !sl.quotes {
				sl.quotes, sl.fresh = true, true
				added++
			}
			sl.every = every
			s.mu.Unlock()
		} else {
			sl = &slot{sub: s, topic: s.hub.topic(sym), idx: -1, quotes: true, fresh: true, every: every}
			s.slots[sym] = sl
			s.mu.Unlock()
			s.register(sym, sl)
			added++
		}
		s.snapshot(sl, latest)
	}
	return added
}

// snapshot queues the symbol's latest quote in sl unless a tick already
// arrived there.
func (s *Subscriber) snapshot(sl *slot, latest SnapshotFunc) {
	e := sl.topic.last.Load()
	if e == nil && latest != nil {
		if q, ok := latest(sl.topic.symbol); ok {
			e = &encoded{seq: q.Seq, json: q.AppendJSON(nil, false)}
		}
	}
	if e == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || !sl.quotes || !sl.fresh || sl.pending.n > 0 {
		return
	}
	sl.pending.push(e)
	sl.seq, sl.seen = e.seq, true
	if !sl.queued {
		sl.queued = true
		s.ready = append(s.ready, sl)
	}
	if s.waitSince < 0 {
		s.waitSince = s.hub.now()
	}
	s.signal()
}

// Unsubscribe removes symbols from the quote set; their pending quotes are
// dropped. Symbols not subscribed are ignored.
func (s *Subscriber) Unsubscribe(symbols []string) {
	for _, sym := range symbols {
		s.mu.Lock()
		sl, ok := s.slots[sym]
		if !ok || !sl.quotes {
			s.mu.Unlock()
			continue
		}
		sl.quotes, sl.fresh, sl.every, sl.due = false, false, 0, 0
		sl.pending.reset()
		drop := !sl.watch
		if drop {
			delete(s.slots, sym)
		}
		s.mu.Unlock()
		if drop {
			sl.topic.remove(sl)
		}
	}
}

// SetWatch replaces the watch set: symbols whose ticks only make the next
// Take report Dirty (used to revalue a portfolio), without queueing quotes.
// Calls of SetWatch must not overlap each other.
func (s *Subscriber) SetWatch(symbols []string) {
	want := make(map[string]bool, len(symbols))
	for _, sym := range symbols {
		want[sym] = true
	}
	var drop []*slot
	add := make(map[string]*slot)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	for sym, sl := range s.slots {
		if sl.watch && !want[sym] {
			sl.watch = false
			if !sl.quotes {
				delete(s.slots, sym)
				drop = append(drop, sl)
			}
		}
	}
	for sym := range want {
		if sl, ok := s.slots[sym]; ok {
			sl.watch = true
			continue
		}
		sl := &slot{sub: s, topic: s.hub.topic(sym), idx: -1, watch: true}
		s.slots[sym] = sl
		add[sym] = sl
	}
	s.mu.Unlock()
	for _, sl := range drop {
		sl.topic.remove(sl)
	}
	for sym, sl := range add {
		s.register(sym, sl)
	}
}

// register adds a new slot to its topic, undoing that if the subscriber was
// closed or dropped the slot meanwhile.
func (s *Subscriber) register(sym string, sl *slot) {
	sl.topic.add(sl)
	s.mu.Lock()
	stale := s.closed || s.slots[sym] != sl
	s.mu.Unlock()
	if stale {
		sl.topic.remove(sl)
	}
}

// Close unregisters the subscriber from every symbol. Nothing is delivered
// afterwards; Close is idempotent.
func (s *Subscriber) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	slots := make([]*slot, 0, len(s.slots))
	for _, sl := range s.slots {
		slots = append(slots, sl)
	}
	clear(s.slots)
	clear(s.ready)
	s.ready = nil
	s.mu.Unlock()
	for _, sl := range slots {
		sl.topic.remove(sl)
	}
	s.hub.subscribers.Add(-1)
}
