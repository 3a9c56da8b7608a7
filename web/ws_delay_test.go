package web

import (
	"testing"
	"time"

	"github.com/tickerd/tickerd/web/stream"
)

// TestWSWriteDelayPacksFrames: with the hub's write delay, a client that
// keeps up still receives every tick of its symbols in seq order, and the
// ticks of the delay share frames (at 20 ticks a second for each of the
// universe's symbols and a 50 ms delay, dozens per frame; written as they
// come, one or two).
func TestWSWriteDelayPacksFrames(t *testing.T) {
	ts := startTestServerWith(t, Config{Stream: stream.Config{SlowClientWindow: time.Minute}},
		testServerOptions{TickRate: 20, WriteDelay: 50 * time.Millisecond})
	token := ts.register(t, "patient", "correct horse battery")
	conn := mustDialWS(t, ts, token)
	subscribeAll(t, ts, conn)

	seqs := map[string]uint64{}
	frames, quotes := 0, 0
	for end := time.Now().Add(time.Second); time.Now().Before(end); {
		f := readFrame(t, conn)
		if f.Type != "quotes" {
			continue
		}
		frames++
		for _, q := range f.quotes(t) {
			prev, seen := seqs[q.Symbol]
			seqs[q.Symbol] = q.Seq
			if q.Snapshot {
				continue
			}
			quotes++
			if !seen || q.Seq != prev+1 || q.Dropped != 0 {
				t.Fatalf("%s: seq %d (dropped %d) after %d: a client that keeps up lost a tick", q.Symbol, q.Seq, q.Dropped, prev)
			}
		}
	}
	if quotes < 100 || float64(quotes)/float64(frames) < 10 {
		t.Fatalf("%d ticks in %d frames in 1 s: the delay packed too few per frame", quotes, frames)
	}
	t.Logf("%d ticks in %d frames", quotes, frames)
}
