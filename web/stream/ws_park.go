package stream

import (
	"sync"
	"sync/atomic"
	"time"
)

// parkEpochs is how many sweeps of a parkLot a writer must stay parked
// through before it is retired. Sweeps run every linger/2, so a writer is
// retired after between linger and 1.5 × linger without a kick.
const parkEpochs = 3

// parkLot retires the WebSocket writers that stayed parked for its linger
// time. A writer parks after a pass that left nothing to write instead of
// exiting, so a connection fed several times a second keeps one goroutine
// rather than starting one per flush; the lot's single sweeper, shared by
// every connection, ends the ones that went quiet, so no connection holds a
// timer of its own for it. The sweeper runs while the lot has connections.
// Its methods are safe for concurrent use.
type parkLot struct {
	linger time.Duration
	epoch  atomic.Uint32 // advanced by every sweep

	mu    sync.Mutex
	conns map[*wsConn]struct{} // every WebSocket connection with a writer set up
	stop  chan struct{}        // closed to end the sweeper; nil while none runs
}

func newParkLot(linger time.Duration) *parkLot {
	return &parkLot{linger: linger, conns: make(map[*wsConn]struct{})}
}

// add makes c's writer retirable, starting the sweeper if it is the first.
func (l *parkLot) add(c *wsConn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.conns[c] = struct{}{}
	if l.stop == nil {
		l.stop = make(chan struct{})
		go l.run(l.stop)
	}
}

// remove forgets c, whose writer has finished; the last one stops the
// sweeper.
func (l *parkLot) remove(c *wsConn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.conns, c)
	if len(l.conns) == 0 && l.stop != nil {
		close(l.stop)
		l.stop = nil
	}
}

// run sweeps every linger/2 until stop is closed.
func (l *parkLot) run(stop <-chan struct{}) {
	t := time.NewTicker(l.linger / 2)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			l.sweep()
		}
	}
}

// sweep retires every writer parked since parkEpochs sweeps ago: it takes
// the parked state from the writer (only one side can, kick or sweep) and
// hands it the one wake-up it is owed.
func (l *parkLot) sweep() {
	e := l.epoch.Add(1)
	l.mu.Lock()
	defer l.mu.Unlock()
	for c := range l.conns {
		if e-c.parkEpoch.Load() >= parkEpochs && c.wstate.CompareAndSwap(writerParked, writerRetiring) {
			c.wake <- struct{}{}
		}
	}
}
