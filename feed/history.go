package feed

import "time"

// Defaults of the replay history (see HubConfig).
const (
	DefaultReplayTicks  = 1024
	DefaultReplayWindow = 60 * time.Second
)

// history is one symbol's latest ticks, oldest first, for subscribers that
// resume after a reconnect: a ring of at most cap(ring) entries, none older
// than the hub's window when it is read. Publish appends (under Hub.pubMu,
// holding topic.mu shared; it is the only writer); subscribers read it
// holding topic.mu exclusively, so a read sees exactly the ticks offered
// before it and none of the ones offered after.
type history struct {
	ring    []held
	head, n int
}

// held is one tick of a history and when the hub received it.
type held struct {
	e  *encoded
	at time.Duration
}

// add appends e, received at now, making room by dropping the oldest tick,
// and forgets the ticks older than window (0: no age limit).
func (h *history) add(e *encoded, now time.Duration, limit int, window time.Duration) {
	if limit <= 0 {
		return
	}
	if h.ring == nil {
		h.ring = make([]held, limit)
	}
	if h.n == len(h.ring) {
		h.ring[h.head] = held{}
		h.head = (h.head + 1) % len(h.ring)
		h.n--
	}
	h.ring[(h.head+h.n)%len(h.ring)] = held{e: e, at: now}
	h.n++
	h.expire(now, window)
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
func (h *history) at(i int) *encoded { return h.ring[(h.head+i)%len(h.ring)].e }

// after returns the held ticks with a seq above since, oldest first, and
// whether they are all the ticks the client missed: false when the ticks
// right after since are no longer held, or when since is ahead of every
// tick held (the client saw ticks of another server run). last is the
// symbol's latest tick, for when nothing is held.
func (h *history) after(since uint64, last *encoded) ([]*encoded, bool) {
	if h.n == 0 {
		return nil, last != nil && last.seq == since
	}
	newest := h.at(h.n - 1).seq
	switch {
	case since > newest:
		return nil, false
	case since == newest:
		return nil, true
	case h.at(0).seq > since+1:
		return nil, false
	}
	// Seqs rise by one per tick, but search rather than index: a publisher
	// may skip seqs.
	i := 0
	for i < h.n && h.at(i).seq <= since {
		i++
	}
	out := make([]*encoded, 0, h.n-i)
	for ; i < h.n; i++ {
		out = append(out, h.at(i))
	}
	return out, true
}
