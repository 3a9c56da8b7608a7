package feed

import (
	"sync"
	"time"
)

// Write delay: under load a subscriber is signalled a short while after its
// first pending quote rather than at once, so that the quotes arriving
// meanwhile leave in the same frame. Each frame costs a write system call
// and a goroutine wake-up on the server (and a read on the client) whatever
// its size, so packing is what makes high fan-out rates affordable; idle
// subscribers pay no delay.
const (
	// DefaultMaxWriteDelay is the longest a quote waits for company when
	// HubConfig.MaxWriteDelay is 0.
	DefaultMaxWriteDelay = 20 * time.Millisecond
	// delayIdleRate and delayFullRate are delivery rates (quotes offered to
	// subscribers per second, summed over the hub): below the first there is
	// no delay; from the second on it is the maximum; in between it grows
	// linearly.
	delayIdleRate = 2_000
	delayFullRate = 50_000
	// rateWindow is how often the delivery rate, and so the delay, is
	// re-evaluated.
	rateWindow = 100 * time.Millisecond
	// delayGrain rounds due times up to a grid so that subscribers due at
	// nearly the same moment are signalled by one timer firing.
	delayGrain = 2 * time.Millisecond
)

// delayed is a subscriber waiting to be signalled at due.
type delayed struct {
	due time.Duration
	sub *Subscriber
}

// writeDelay schedules subscribers' signals. Its queue is in due order as
// long as the delay does not shrink; when it does, a later entry may wait
// until an earlier one is due, which is never longer than the old delay.
type writeDelay struct {
	max time.Duration // 0: never delay

	// Publish side, guarded by Hub.pubMu.
	windowStart time.Duration
	offered     uint64        // deliveries offered since windowStart
	cur         time.Duration // delay now in force
	batch       []*Subscriber // subscribers newly pending in this Publish

	mu    sync.Mutex
	queue []delayed
	head  int         // queue[head:] is pending
	timer *time.Timer // fires at queue[head].due; nil until first used
	armed bool        // timer is set to fire
	fire  []*Subscriber
}

// adapt accounts n offered deliveries at now and re-evaluates the delay
// once per rateWindow. Caller holds Hub.pubMu.
func (w *writeDelay) adapt(now time.Duration, n int) {
	w.offered += uint64(n)
	el := now - w.windowStart
	if el < rateWindow {
		return
	}
	rate := float64(w.offered) / el.Seconds()
	w.windowStart, w.offered = now, 0
	switch {
	case w.max <= 0 || rate <= delayIdleRate:
		w.cur = 0
	case rate >= delayFullRate:
		w.cur = w.max
	default:
		w.cur = time.Duration(float64(w.max) * (rate - delayIdleRate) / (delayFullRate - delayIdleRate))
	}
}

// schedule queues the subscribers collected in w.batch to be signalled
// after the current delay. Caller holds Hub.pubMu.
func (w *writeDelay) schedule(h *Hub, now time.Duration) {
	if len(w.batch) == 0 {
		return
	}
	due := (now + w.cur + delayGrain - 1) / delayGrain * delayGrain
	w.mu.Lock()
	for _, s := range w.batch {
		w.queue = append(w.queue, delayed{due: due, sub: s})
	}
	if !w.armed {
		w.arm(h, now)
	}
	w.mu.Unlock()
	clear(w.batch)
	w.batch = w.batch[:0]
}

// arm sets the timer for the head of the queue. Caller holds w.mu.
func (w *writeDelay) arm(h *Hub, now time.Duration) {
	d := max(w.queue[w.head].due-now, 0)
	if w.timer == nil {
		w.timer = time.AfterFunc(d, h.fireDelayed)
	} else {
		w.timer.Reset(d)
	}
	w.armed = true
}

// fireDelayed signals every subscriber that is due and re-arms the timer
// for the rest.
func (h *Hub) fireDelayed() {
	w := &h.delay
	now := h.now()
	w.mu.Lock()
	w.armed = false
	i := w.head
	for i < len(w.queue) && w.queue[i].due <= now {
		w.fire = append(w.fire, w.queue[i].sub)
		w.queue[i] = delayed{}
		i++
	}
	w.head = i
	switch {
	case w.head == len(w.queue):
		w.queue, w.head = w.queue[:0], 0
	case w.head > len(w.queue)/2:
		n := copy(w.queue, w.queue[w.head:])
		clear(w.queue[n:])
		w.queue, w.head = w.queue[:n], 0
	}
	if w.head < len(w.queue) {
		w.arm(h, now)
	}
	fire := w.fire
	w.fire = nil
	w.mu.Unlock()

	for _, s := range fire {
		s.mu.Lock()
		s.delayed = false
		s.signal()
		s.mu.Unlock()
	}
	clear(fire)
	w.mu.Lock()
	if w.fire == nil {
		w.fire = fire[:0]
	}
	w.mu.Unlock()
}

// WriteDelay returns the delay currently applied before a subscriber is
// signalled about a new quote (0 when the hub is lightly loaded).
func (h *Hub) WriteDelay() time.Duration {
	h.pubMu.Lock()
	defer h.pubMu.Unlock()
	return h.delay.cur
}
