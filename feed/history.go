package feed

import "time"

// Defaults of the replay history (see HubConfig).
const (
	DefaultReplayTicks  = 1024
	DefaultReplayWindow = 60 * time.Second
)

// history is one symbol's latest ticks, oldest first, for subscribers that
// resume after a reconnect: a ring of at most the hub's ReplayTicks
// entries, grown as needed (it never shrinks), none older than its
// ReplayWindow when read. Publish appends (under Hub.pubMu, holding
// topic.mu shared; it is the only writer); subscribers read it holding
// topic.mu exclusively, so a read sees exactly the ticks offered before it
// and none of the ones offered after.
type history struct {
	ring    []held
	head, n int
}

// held is one tick of a history and when the hub received it. The quote is
// kept rather than its JSON: it takes a third of the memory, and holding
// an encoding would keep its whole batch's buffer alive; the few ticks a
// resume replays are encoded again then.
type held struct {
	q  Quote
	at time.Duration
}

// add appends q, received at now, making room by dropping the oldest tick,
// and forgets the ticks older than window (0: no age limit).
func (h *history) add(q *Quote, now time.Duration, limit int, window time.Duration) {
	if limit <= 0 {
		return
	}
	if h.n == len(h.ring) && len(h.ring) < limit {
		h.grow(min(max(len(h.ring)+len(h.ring)/4, 16), limit)) // a quarter more: little slack
	}
	if h.n == len(h.ring) {
		h.ring[h.head] = held{}
		h.head = (h.head + 1) % len(h.ring)
		h.n--
	}
	h.ring[(h.head+h.n)%len(h.ring)] = held{q: *q, at: now}
	h.n++
	h.expire(now, window)
}

// grow moves the held ticks, oldest first, into a ring of size n: a ring
// grows with the ticks the window holds rather than starting at the limit.
func (h *history) grow(n int) {
	ring := make([]held, n)
	for i := range h.n {
		ring[i] = h.ring[(h.head+i)%len(h.ring)]
	}
	h.ring, h.head = ring, 0
}

// expire forgets the ticks received before now-window.
func (h *history) expire(now, window time.Duration) {
	if window <= 0 {
		return
	}
	for h.n > 0 && now-h.ring[h.head].at > window {
		h.ring[h.head] = held{}
		h.head = (h.head + 1) % len(h.ring)
		h.n--
	}
}

// at returns the i-th oldest held tick.
func (h *history) at(i int) *Quote { return &h.ring[(h.head+i)%len(h.ring)].q }

// after returns copies of the held ticks with a seq above since, oldest
// first, and
// whether they are all the ticks the client missed: false when the ticks
// right after since are no longer held, or when since is ahead of every
// tick held (the client saw ticks of another server run). last is the
// symbol's latest tick, for when nothing is held.
func (h *history) after(since uint64, last *encoded) ([]Quote, bool) {
	if h.n == 0 {
		return nil, last != nil && last.seq == since
	}
	newest := h.at(h.n - 1).Seq
	switch {
	case since > newest:
		return nil, false
	case since == newest:
		return nil, true
	case h.at(0).Seq > since+1:
		return nil, false
	}
	// Seqs rise by one per tick, but search rather than index: a publisher
	// may skip seqs.
	i := 0
	for i < h.n && h.at(i).Seq <= since {
		i++
	}
	out := make([]Quote, 0, h.n-i)
	for ; i < h.n; i++ {
		out = append(out, *h.at(i))
	}
	return out, true
}

// encode returns the quotes' encodings, sharing one buffer as Publish's do.
func encode(quotes []Quote) []*encoded {
	encs := make([]encoded, len(quotes))
	out := make([]*encoded, len(quotes))
	buf := make([]byte, 0, 200*len(quotes))
	for i := range quotes {
		start := len(buf)
		buf = quotes[i].AppendJSON(buf, false)
		encs[i] = encoded{seq: quotes[i].Seq, json: buf[start:len(buf):len(buf)]}
		out[i] = &encs[i]
	}
	return out
}
