package feed

import (
	"sync"
	"sync/atomic"
	"time"
)

// SubscriberOptions are one subscriber's slow-client limits.
type SubscriberOptions struct {
	// SlowWindow is how long deliverable quotes may wait without a Take
	// before the subscriber is marked lagging. 0 means 10s.
	SlowWindow time.Duration
	// MaxConflated marks the subscriber lagging when more ticks than this
	// were dropped (conflated) between two Takes. 0 means no limit.
	MaxConflated int
	// OnSignal, if set, replaces the Notify channel: it is called, at most
	// once between two Takes, when Take has something new (and now and then
	// once more just after a Take, which then finds nothing new). It runs on
	// the signalling goroutine (the publisher's, one Publish starts, or the
	// caller of a Subscriber method), possibly with the subscriber locked,
	// so it must return at once and must not call the subscriber's methods;
	// typically it starts the transport's writer if none is running.
	OnSignal func()
	// OnPublish, if set, is called instead of OnSignal when a Publish
	// made quotes pending (or marked the subscriber dirty or lagging). It
	// runs on a goroutine the hub starts for a share of that Publish's
	// subscribers, holding no lock, so unlike OnSignal it may call Take and
	// write what it took: the transport's writer can run there instead of
	// on a goroutine of its own. It must not block, as the subscribers after
	// it in the share wait for it; a write the socket cannot take at once
	// belongs to a goroutine of the transport's. Calls for successive
	// Publishes may overlap: the transport lets one Take at a time.
	OnPublish func()
}

// Subscriber is one consumer of the hub (usually one connection). The hub
// knows subscribers, not sockets: it queues quotes in the subscriber's
// per-symbol slots (up to pendingCap each) and signals Notify at once; the
// transport's single writer goroutine calls Take and writes what it returns.
//
// Subscribe, Unsubscribe, SetWatch and Close may be called from any one
// goroutine concurrently with Take and with the hub's Publish.
type Subscriber struct {
	hub    *Hub
	notify chan struct{} // nil when onSignal is set
	onSig  func()
	onPub  func()
	window time.Duration
	maxCfl int
	lagged atomic.Bool

	mu        sync.Mutex
	slots     map[string]*slot
	ready     []*slot       // slots with a pending quote, in arrival order
	waitSince time.Duration // when deliverable data started waiting; -1 if none
	conflated int           // ticks dropped since the last Take
	dirty     bool          // a watched symbol ticked, or MarkDirty was called
	signalled bool          // notify holds a token not yet consumed by Take
	closed    bool
}

// slot is one subscriber's state for one symbol. sub, topic and symbol are
// immutable; idx is guarded by topic.mu; the rest by sub.mu.
type slot struct {
	sub    *Subscriber
	topic  *topic
	idx    int
	quotes bool          // deliver this symbol's quotes
	watch  bool          // a tick only marks the subscriber dirty
	every  time.Duration // minimum interval between deliveries; 0 means none
	due    time.Duration // earliest time of the next delivery when every > 0
	seq    uint64        // seq of the newest quote queued or delivered
	seen   bool          // seq is valid
	fresh  bool          // the next delivery is the symbol's snapshot
	stale  bool          // that snapshot answers a resume the history could not serve
	queued bool          // in sub.ready

	replay  []*encoded // missed ticks of a resume, delivered before pending
	filling bool       // the missed ticks are being encoded: Take must wait
	pending pending
}

// Batch describes what one Take returned.
type Batch struct {
	Quotes  int           // quotes appended to the buffer
	Dirty   bool          // a watched symbol ticked (or MarkDirty) since the last Take
	Wait    time.Duration // > 0: rate-limited quotes wait; call Take again after this long
	Lagging bool          // the subscriber fell too far behind: close it as too slow
}

// NewSubscriber registers a subscriber with no symbols.
func (h *Hub) NewSubscriber(opts SubscriberOptions) *Subscriber {
	if opts.SlowWindow <= 0 {
		opts.SlowWindow = 10 * time.Second
	}
	h.subscribers.Add(1)
	var notify chan struct{}
	if opts.OnSignal == nil {
		notify = make(chan struct{}, 1)
	}
	return &Subscriber{
		hub:       h,
		notify:    notify,
		onSig:     opts.OnSignal,
		onPub:     opts.OnPublish,
		window:    opts.SlowWindow,
		maxCfl:    opts.MaxConflated,
		slots:     make(map[string]*slot),
		waitSince: -1,
	}
}

// Notify returns a channel that receives a value when Take has something
// new: quotes, a dirty portfolio, lagging, or a Wake. It is nil (never
// ready) when the subscriber was created with OnSignal.
func (s *Subscriber) Notify() <-chan struct{} { return s.notify }

// Wake signals Notify, so the transport can route its own work (replies,
// pings, close) through the same writer loop. Unlike the hub's signals it is
// never skipped because a signal is already pending: the transport's state
// it announces is not something Take sees, and the pending signal may be
// for a Take already under way.
func (s *Subscriber) Wake() {
	s.mu.Lock()
	s.signalled = false
	s.signal()
	s.mu.Unlock()
}

// Lagging reports whether the hub gave up on this subscriber as too slow.
// A lagging subscriber receives nothing more; Take returns no quotes.
func (s *Subscriber) Lagging() bool { return s.lagged.Load() }

// MarkDirty makes the next Take report Dirty (for example after a trade).
func (s *Subscriber) MarkDirty() {
	s.mu.Lock()
	s.dirty = true
	s.signal()
	s.mu.Unlock()
}

// signal makes Notify ready unless it already is. Caller holds s.mu.
func (s *Subscriber) signal() {
	if s.signalled {
		return
	}
	s.signalled = true
	s.notifyNow()
}

// signalLater is signal for Publish: it marks the subscriber signalled and
// adds it to wake, for Publish to notify once it has made its offers.
// Caller holds s.mu.
func (s *Subscriber) signalLater(wake *[]*Subscriber) {
	if s.signalled {
		return
	}
	s.signalled = true
	*wake = append(*wake, s)
}

// notifyNow calls OnSignal or makes Notify ready. A notification that comes
// after the Take it was meant for only costs the transport a pass that finds
// nothing new.
func (s *Subscriber) notifyNow() {
	if s.onSig != nil {
		s.onSig()
		return
	}
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// offer queues e in sl and adds the subscriber to wake unless it is already
// signalled. It returns how many undelivered older ticks it dropped
// (conflation): the oldest one when the queue is full, or every one when the
// symbol has a max_rate_ms interval (latest wins). Called by Publish under
// Hub.pubMu and topic.mu.
func (s *Subscriber) offer(sl *slot, e *encoded, now time.Duration, wake *[]*Subscriber) uint64 {
	var conflated uint64
	s.mu.Lock()
	if s.closed || s.lagged.Load() {
		s.mu.Unlock()
		return 0
	}
	if sl.watch && !s.dirty {
		s.dirty = true
		s.signalLater(wake)
	}
	if sl.quotes && (!sl.seen || e.seq > sl.seq) {
		if !sl.queued {
			sl.queued = true
			s.ready = append(s.ready, sl)
		}
		if sl.every > 0 {
			conflated = sl.pending.keepNewest(0)
		}
		if sl.pending.push(e) {
			conflated++
		}
		s.conflated += int(conflated)
		sl.seq, sl.seen = e.seq, true
		if s.waitSince < 0 {
			s.waitSince = max(now, sl.due)
		}
		s.signalLater(wake)
	}
	if (s.waitSince >= 0 && now-s.waitSince > s.window) || (s.maxCfl > 0 && s.conflated > s.maxCfl) {
		s.lagged.Store(true)
		s.hub.lagged.Add(1)
		s.signalLater(wake)
	}
	s.mu.Unlock()
	return conflated
}

// Take appends every deliverable pending quote to dst as JSON objects
// separated by commas (the caller adds the enclosing array) and clears them.
// A symbol's quotes come oldest first. The first quote delivered for a newly
// subscribed symbol carries "snapshot":true; any other quote that follows
// dropped ticks of its symbol carries "dropped":N, the number of ticks
// dropped since the symbol's previous delivery. A resumed symbol
// (SubscribeSince) delivers the ticks it missed first, as plain quotes; a
// snapshot that answers a resume the history could not serve also carries
// "resumed":false. Quotes held back by a per-symbol interval stay pending,
// only the latest kept; Batch.Wait says when they become due. Take is meant
// for one goroutine.
func (s *Subscriber) Take(dst []byte) ([]byte, Batch) {
	var b Batch
	s.mu.Lock()
	now := s.hub.now()
	s.signalled = false
	select { // a token left by a signal this Take answers: drop it
	case <-s.notify:
	default:
	}
	if s.lagged.Load() {
		s.mu.Unlock()
		return dst, Batch{Lagging: true}
	}
	b.Dirty, s.dirty = s.dirty, false
	next := time.Duration(-1)
	keep := s.ready[:0]
	var conflated uint64
	for _, sl := range s.ready {
		p := &sl.pending
		if sl.filling && sl.quotes { // live ticks may not overtake the replay
			keep = append(keep, sl)
			continue
		}
		if (p.n == 0 && len(sl.replay) == 0) || !sl.quotes {
			sl.queued = false
			sl.replay = nil
			p.reset()
			continue
		}
		if sl.every > 0 {
			// Ticks queued before the interval was set: latest wins.
			conflated += p.keepNewest(1)
			if sl.due > now {
				keep = append(keep, sl)
				if next < 0 || sl.due < next {
					next = sl.due
				}
				continue
			}
			sl.due = now + sl.every
		}
		dst = sl.drain(dst, &b.Quotes)
		sl.queued = false
	}
	clear(s.ready[len(keep):])
	s.ready = keep
	s.conflated = 0
	s.waitSince = next
	if next >= 0 {
		b.Wait = max(next-now, time.Millisecond)
	}
	s.mu.Unlock()
	if b.Quotes > 0 {
		s.hub.delivered.Add(uint64(b.Quotes))
	}
	if conflated > 0 {
		s.hub.conflated.Add(conflated)
	}
	return dst, b
}

// drain appends the slot's replayed ticks (set only without an interval),
// then its pending ones, to dst as comma-separated JSON objects, counting
// them in *n (which also says whether a comma is due), and empties both.
// The caller holds the subscriber's mu.
func (sl *slot) drain(dst []byte, n *int) []byte {
	for _, e := range sl.replay {
		if *n > 0 {
			dst = append(dst, ',')
		}
		dst = appendQuote(dst, e, false, false, 0)
		*n++
	}
	sl.replay = nil
	p := &sl.pending
	for i := range int(p.n) {
		if *n > 0 {
			dst = append(dst, ',')
		}
		dst = appendQuote(dst, p.at(i), sl.fresh, sl.stale, p.dropped)
		sl.fresh, sl.stale, p.dropped = false, false, 0 // a snapshot follows no earlier delivery: nothing to announce
		*n++
	}
	p.reset()
	return dst
}
