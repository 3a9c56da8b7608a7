package feed

import "time"

// SnapshotFunc returns the latest quote of a symbol; Subscribe uses it for
// symbols the hub has not seen a tick of yet. Market.Quote fits.
type SnapshotFunc func(symbol string) (Quote, bool)

// Subscribe adds symbols to the subscriber's quote set. Each newly added
// symbol's first delivery is a snapshot (its latest quote, from the hub or
// from latest, which may be nil). every > 0 delivers at most one quote per
// symbol per interval, the latest winning (the others count as dropped); it
// also applies to symbols that were already subscribed. It returns how many
// symbols were newly added.
func (s *Subscriber) Subscribe(symbols []string, every time.Duration, latest SnapshotFunc) int {
	return s.SubscribeSince(symbols, every, nil, latest)
}

// SubscribeSince is Subscribe for a client that resumes after a reconnect:
// since maps symbols to the last seq the client saw of them. For each newly
// added symbol named there, the ticks after that seq that the hub still
// holds (HubConfig.ReplayTicks, ReplayWindow) are delivered in order before
// any live one, and no snapshot is sent, the client having the state
// already. If the hub no longer holds all the ticks the client missed, or
// since is ahead of the symbol's latest tick (the client saw another run of
// the server), the symbol gets its snapshot as with Subscribe, marked
// "resumed":false. Registering a symbol and reading its history are one
// step with respect to Publish, so no tick is delivered twice or skipped.
// With every > 0 the missed ticks are conflated like live ones: only the
// newest is delivered, the others counting as dropped.
func (s *Subscriber) SubscribeSince(symbols []string, every time.Duration, since map[string]uint64, latest SnapshotFunc) int {
	added := 0
	for _, sym := range symbols {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return added
		}
		sl, ok := s.slots[sym]
		if ok && sl.quotes {
			sl.every = every
			s.mu.Unlock()
			s.snapshot(sl, latest) // if none could be queued before
			continue
		}
		if !ok {
			sl = &slot{sub: s, topic: s.hub.topic(sym), idx: -1}
			s.slots[sym] = sl
		}
		s.mu.Unlock()
		seq, resume := since[sym]
		started, resumed, missed := s.start(sym, sl, every, resume, seq)
		if !started {
			continue
		}
		added++
		switch {
		case !resumed:
			s.snapshot(sl, latest)
		case len(missed) > 0:
			s.fill(sl, encode(missed))
		}
	}
	return added
}

// start registers sl with its topic unless it is already (a watched
// symbol) and turns its quotes on; with resume, it reads the ticks after
// since from the history in the same step. It reports false if the
// subscriber was closed or dropped the slot meanwhile, whether the resume
// succeeded, and the missed ticks the caller must encode and hand to fill
// (the slot delivers nothing until then). Encoding happens outside the
// locks, so the publisher never waits for it.
func (s *Subscriber) start(sym string, sl *slot, every time.Duration, resume bool, since uint64) (started, resumed bool, missed []Quote) {
	t := sl.topic
	t.mu.Lock()
	if sl.idx < 0 {
		sl.idx = len(t.slots)
		t.slots = append(t.slots, sl)
	}
	s.mu.Lock()
	if s.closed || s.slots[sym] != sl {
		s.mu.Unlock()
		t.mu.Unlock()
		t.remove(sl)
		return false, false, nil
	}
	defer t.mu.Unlock()
	defer s.mu.Unlock()
	sl.quotes, sl.fresh, sl.stale, sl.every = true, true, false, every
	if !resume {
		return true, false, nil
	}
	t.held.expire(s.hub.now(), s.hub.cfg.ReplayWindow)
	missed, ok := t.held.after(since, t.last.Load())
	if !ok {
		sl.stale = true
		return true, false, nil
	}
	sl.fresh = false
	sl.seq, sl.seen = since, true
	if len(missed) == 0 {
		return true, true, nil
	}
	sl.seq = missed[len(missed)-1].Seq
	if every > 0 {
		// Conflated like live ticks: the newest, the others dropped.
		sl.pending.push(encode(missed[len(missed)-1:])[0])
		sl.pending.dropped = uint32(len(missed) - 1)
		s.hub.conflated.Add(uint64(len(missed) - 1))
		s.queue(sl)
		return true, true, nil
	}
	sl.filling = true
	return true, true, missed
}

// fill hands a resumed slot its encoded missed ticks, to be delivered
// before any live one.
func (s *Subscriber) fill(sl *slot, missed []*encoded) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sl.filling = false
	if s.closed || !sl.quotes {
		return
	}
	sl.replay = missed
	s.queue(sl)
}

// queue marks sl ready and signals. Caller holds s.mu.
func (s *Subscriber) queue(sl *slot) {
	if !sl.queued {
		sl.queued = true
		s.ready = append(s.ready, sl)
	}
	if s.waitSince < 0 {
		s.waitSince = s.hub.now()
	}
	s.signal()
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
		sl.quotes, sl.fresh, sl.stale, sl.every, sl.due = false, false, false, 0, 0
		sl.replay, sl.filling = nil, false
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
