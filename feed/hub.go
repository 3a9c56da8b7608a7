package feed

import (
	"sync"
	"sync/atomic"
	"time"
)

// HubConfig configures a Hub. The zero value keeps no history. Per-subscriber
// limits (slow-client window, conflation limit) are SubscriberOptions so each
// transport can announce its own.
type HubConfig struct {
	// ReplayTicks is how many of each symbol's latest ticks the hub holds
	// for subscribers that resume (SubscribeSince). 0 keeps none.
	ReplayTicks int
	// ReplayWindow is how long a held tick stays replayable; 0 means no
	// limit but ReplayTicks. Whichever bound is smaller applies.
	ReplayWindow time.Duration
	// WriteDelay, if positive, holds Publish's notifications for up to this
	// long, so that the ticks published meanwhile reach a subscriber in the
	// same Take, and a transport writes them in one frame: fewer frames and
	// less CPU per quote, for up to WriteDelay more latency. 0, the default,
	// notifies at once. Keep it well below a symbol's tick interval times
	// the queue of a few ticks per symbol, or a subscriber that keeps up is
	// conflated.
	WriteDelay time.Duration
}

// Hub fans ticks out to subscribers without ever blocking on one.
//
// Publish encodes every quote once into an immutable buffer shared by all
// subscribers of its symbol, offers it to each of them and signals them at
// once (or, with HubConfig.WriteDelay, a little later). Per subscriber and
// symbol up to pendingCap undelivered ticks wait in order, so a
// subscriber that keeps up receives every tick; only one that
// falls further behind (or asked for max_rate_ms) is conflated, its oldest
// pending ticks giving way to newer ones. A slow subscriber therefore costs a
// bounded amount of memory and never slows the publisher or anyone else. A
// transport owns one Subscriber per connection and drains it with Take from a
// single writer goroutine; the quotes that arrive while it writes are taken
// together by its next Take.
type Hub struct {
	cfg   HubConfig
	epoch time.Time
	now   func() time.Duration // monotonic time since epoch; replaced in tests

	mu     sync.Mutex                        // serialises topic creation
	topics atomic.Pointer[map[string]*topic] // copy-on-write: read without locks

	pubMu sync.Mutex    // serialises Publish, so each topic's quotes are offered in seq order
	wake  []*Subscriber // Publish's subscribers to notify; guarded by pubMu
	// With a WriteDelay: whether a timer will notify h.wake (guarded by
	// pubMu), and how it is started (time.AfterFunc; replaced in tests).
	delayArmed bool
	afterFunc  func(time.Duration, func())

	published   atomic.Uint64
	delivered   atomic.Uint64
	conflated   atomic.Uint64
	lagged      atomic.Uint64
	subscribers atomic.Int64
}

// HubStats are cumulative counters since the hub was created, except
// Subscribers, which is the current number of registered subscribers.
type HubStats struct {
	Published   uint64 // quotes received through Publish
	Delivered   uint64 // quotes handed to transports by Take
	Conflated   uint64 // undelivered ticks dropped: a subscriber's queue for the symbol was full, or max_rate_ms
	Lagged      uint64 // subscribers marked lagging (the transport closes them as too slow)
	Subscribers int64  // subscribers registered now
}

// topic is the registry of one symbol: the subscribers' slots, the latest
// encoded quote (the snapshot for new subscribers) and the ticks held for
// replay.
type topic struct {
	symbol string
	last   atomic.Pointer[encoded]

	mu    sync.RWMutex // Publish holds it shared while offering; (un)subscribe exclusively
	slots []*slot
	held  history // see history for how it is guarded
}

// encoded is one quote's wire JSON. It is never modified after Publish
// creates it, so any number of subscribers may hold it.
type encoded struct {
	seq  uint64
	json []byte
}

// NewHub returns an empty hub.
func NewHub(cfg HubConfig) *Hub {
	h := &Hub{cfg: cfg, epoch: time.Now()}
	h.now = func() time.Duration { return time.Since(h.epoch) }
	h.afterFunc = func(d time.Duration, f func()) { time.AfterFunc(d, f) }
	empty := map[string]*topic{}
	h.topics.Store(&empty)
	return h
}

// Publish encodes each quote once and offers it to every subscriber of its
// symbol, then signals the subscribers that were not signalled yet: itself
// for a few, through goroutines it starts for many or for those with
// OnPublish (see notify); with a WriteDelay, a timer does that later.
// It never blocks on a subscriber and does not retain batch; the quotes of
// one symbol must arrive in seq order (older ones are dropped). It allocates
// per batch, never per delivery. With a history (HubConfig.ReplayTicks) it
// also copies each quote into its symbol's history.
func (h *Hub) Publish(batch []Quote) {
	if len(batch) == 0 {
		return
	}
	encs := make([]encoded, len(batch))
	buf := make([]byte, 0, 200*len(batch))
	h.pubMu.Lock()
	defer h.pubMu.Unlock()
	now := h.now()
	var conflated uint64
	for i := range batch {
		q := &batch[i]
		start := len(buf)
		buf = q.AppendJSON(buf, false)
		// Capacity-limited so no later append can write into another
		// quote's bytes; a reallocation leaves earlier quotes in place.
		e := &encs[i]
		*e = encoded{seq: q.Seq, json: buf[start:len(buf):len(buf)]}

		t := h.topic(q.Symbol)
		t.mu.RLock()
		if prev := t.last.Load(); prev == nil || prev.seq < e.seq {
			t.last.Store(e)
			t.held.add(q, now, h.cfg.ReplayTicks, h.cfg.ReplayWindow)
		}
		for _, sl := range t.slots {
			conflated += sl.sub.offer(sl, e, now, &h.wake)
		}
		t.mu.RUnlock()
	}
	h.release()
	h.published.Add(uint64(len(batch)))
	if conflated > 0 {
		h.conflated.Add(conflated)
	}
}

// maxInlineSignals is how many subscribers Publish notifies itself; more are
// notified by goroutines of their own. A notification may cost the
// transport a goroutine start (about a microsecond), and the publisher is a
// single goroutine: notifying thousands of subscribers per tick itself would
// make every Publish long, and under load a long Publish is preempted and
// waits behind every runnable writer, so the market's clock falls behind and
// ticks are lost before they reach the hub. Handed off, the notifications
// wait instead, and the quotes arriving meanwhile share frames.
const maxInlineSignals = 64

// deliverShare is how many of one Publish's subscribers a goroutine of the
// hub notifies. A subscriber with OnPublish may write its quotes there
// (some microseconds each), so a tick for many subscribers is cut into
// shares that run in parallel on every core; a share is long enough that
// starting its goroutine costs little beside the writes.
const deliverShare = 64

// notify notifies the subscribers Publish collected in h.wake: itself when
// they are few and none has OnPublish (whose work must not hold up
// Publish), else through goroutines, one per deliverShare subscribers.
// Caller holds h.pubMu.
func (h *Hub) notify() {
	if len(h.wake) <= maxInlineSignals && !anyOnPublish(h.wake) {
		for _, s := range h.wake {
			s.notifyNow()
		}
		clear(h.wake)
		h.wake = h.wake[:0]
		return
	}
	wake := h.wake
	h.wake = make([]*Subscriber, 0, cap(wake))
	for len(wake) > 0 {
		n := min(len(wake), deliverShare)
		go notifyShare(wake[:n:n])
		wake = wake[n:]
	}
}

// anyOnPublish reports whether a subscriber in subs has OnPublish.
func anyOnPublish(subs []*Subscriber) bool {
	for _, s := range subs {
		if s.onPub != nil {
			return true
		}
	}
	return false
}

// notifyShare notifies subs after a Publish, calling OnPublish where set.
func notifyShare(subs []*Subscriber) {
	for _, s := range subs {
		if s.onPub != nil {
			s.onPub()
		} else {
			s.notifyNow()
		}
	}
}

// Stats returns the hub's counters. It is safe to call at any time.
func (h *Hub) Stats() HubStats {
	return HubStats{
		Published:   h.published.Load(),
		Delivered:   h.delivered.Load(),
		Conflated:   h.conflated.Load(),
		Lagged:      h.lagged.Load(),
		Subscribers: h.subscribers.Load(),
	}
}

// topic returns the registry of symbol, creating it on first use. Topics are
// never removed: their number is bounded by the universe.
func (h *Hub) topic(symbol string) *topic {
	if t, ok := (*h.topics.Load())[symbol]; ok {
		return t
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	old := *h.topics.Load()
	if t, ok := old[symbol]; ok {
		return t
	}
	next := make(map[string]*topic, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	t := &topic{symbol: symbol}
	next[symbol] = t
	h.topics.Store(&next)
	return t
}

// add registers sl with t.
func (t *topic) add(sl *slot) {
	t.mu.Lock()
	sl.idx = len(t.slots)
	t.slots = append(t.slots, sl)
	t.mu.Unlock()
}

// remove unregisters sl from t in O(1) (the order of slots is irrelevant).
func (t *topic) remove(sl *slot) {
	t.mu.Lock()
	defer t.mu.Unlock()
	i := sl.idx
	if i < 0 || i >= len(t.slots) || t.slots[i] != sl {
		return
	}
	last := len(t.slots) - 1
	t.slots[i] = t.slots[last]
	t.slots[i].idx = i
	t.slots[last] = nil
	t.slots = t.slots[:last]
	sl.idx = -1
}

var _ Publisher = (*Hub)(nil)
