package feed

import "strconv"

// pendingCap bounds the ticks that wait per subscriber and symbol.
//
// A subscriber that keeps up rarely holds more than one: its writer takes
// everything pending whenever it is idle, so only the ticks that arrive
// during one write (or one scheduling delay) accumulate. Eight covers a
// writer held up for 2 s at 4 ticks a second per symbol, or 80 ms at 100
// a second, without losing a tick; a subscriber further behind than that is
// conflated, keeping the newest eight, because a backlog that only grows
// helps no one. Counting ticks per symbol rather than bytes per subscriber
// keeps the rule the same for every symbol of a connection: a busy symbol
// cannot push out a quiet one's only tick.
//
// The queue is a fixed array of pointers to the hub's shared encodings, so
// it costs 64 bytes per subscribed symbol, never allocates per delivery, and
// a stalled subscriber retains at most pendingCap quotes per symbol.
const pendingCap = 8

// pending is one slot's undelivered ticks of its symbol, oldest first: a
// ring of ring[(head+i)%pendingCap] for i < n. dropped counts the ticks of
// the symbol dropped since the last delivery, announced with the next one.
// It is guarded by the subscriber's mutex.
type pending struct {
	ring    [pendingCap]*encoded
	head, n uint8
	dropped uint32
}

// push queues e after the others. When the queue is full the oldest tick
// gives way, and push reports that it dropped one.
func (p *pending) push(e *encoded) (dropped bool) {
	if p.n == pendingCap {
		p.ring[p.head] = e
		p.head = (p.head + 1) % pendingCap
		p.dropped++
		return true
	}
	p.ring[(p.head+p.n)%pendingCap] = e
	p.n++
	return false
}

// keepNewest drops all but the newest keep ticks and returns how many it
// dropped.
func (p *pending) keepNewest(keep int) uint64 {
	d := int(p.n) - keep
	if d <= 0 {
		return 0
	}
	for range d {
		p.ring[p.head] = nil
		p.head = (p.head + 1) % pendingCap
	}
	p.n -= uint8(d)
	p.dropped += uint32(d)
	return uint64(d)
}

// at returns the i-th oldest pending tick.
func (p *pending) at(i int) *encoded { return p.ring[(int(p.head)+i)%pendingCap] }

// reset empties the queue and forgets the drops (after a delivery, or when
// the symbol is unsubscribed).
func (p *pending) reset() {
	clear(p.ring[:])
	p.head, p.n, p.dropped = 0, 0, 0
}

// appendQuote appends e's JSON to dst, first adding "snapshot":true (and
// "resumed":false when unresumed: the snapshot replaces a replay the hub
// could not make), or else "dropped":N when N ticks were dropped before it.
// The shared bytes are not touched: their closing brace is left out and
// written after the key.
func appendQuote(dst []byte, e *encoded, snapshot, unresumed bool, dropped uint32) []byte {
	j := e.json
	switch {
	case snapshot && unresumed:
		dst = append(dst, j[:len(j)-1]...)
		return append(dst, `,"snapshot":true,"resumed":false}`...)
	case snapshot:
		dst = append(dst, j[:len(j)-1]...)
		return append(dst, `,"snapshot":true}`...)
	case dropped > 0:
		dst = append(dst, j[:len(j)-1]...)
		dst = append(dst, `,"dropped":`...)
		dst = strconv.AppendUint(dst, uint64(dropped), 10)
		return append(dst, '}')
	default:
		return append(dst, j...)
	}
}
