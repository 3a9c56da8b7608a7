package web

import (
	"testing"
	"time"

	"github.com/tickerd/tickerd/web/stream"
)

// TestWSPausedClientGetsWholeFrames: a client that stops reading fills
// its socket, so the writes the hub's goroutines make without waiting are
// cut short and the connection's writer goroutine sends the rest once the
// client reads again. Every frame arrives whole and in order: each
// symbol's seqs rise, and every gap is announced by "dropped".
func TestWSPausedClientGetsWholeFrames(t *testing.T) {
	ts := startTestServerWith(t, Config{Stream: stream.Config{SlowClientWindow: time.Minute}},
		testServerOptions{TickRate: 200})
	token := ts.register(t, "paused", "correct horse battery")
	conn, all := dialReluctant(t, ts, token)

	// Read nothing until the writer is stuck: the frames counter (counted
	// as each frame is written or kept for later) stops moving.
	last, since := -1.0, time.Now()
	deadline := time.Now().Add(30 * time.Second)
	for time.Since(since) < 300*time.Millisecond {
		if time.Now().After(deadline) {
			t.Fatal("the writer never got stuck on the paused client")
		}
		if v, _ := scrape(t, ts).value("tickerd_stream_frames_written_total", "transport", "ws"); v != last {
			last, since = v, time.Now()
		}
		time.Sleep(20 * time.Millisecond)
	}

	// Read the backlog, then on until every symbol has been seen and the
	// conflation the pause caused has been announced.
	seqs := map[string]uint64{}
	quotes, gaps := 0, 0
	for end := time.Now().Add(30 * time.Second); gaps == 0 || len(seqs) < len(all); {
		if time.Now().After(end) {
			t.Fatalf("after 30s: quotes of %d symbols of %d, %d gaps announced", len(seqs), len(all), gaps)
		}
		f := readFrame(t, conn) // a frame cut or interleaved fails here, or in its JSON
		if f.Type != "quotes" {
			continue
		}
		for _, q := range f.quotes(t) {
			quotes++
			prev, seen := seqs[q.Symbol]
			seqs[q.Symbol] = q.Seq
			switch {
			case q.Snapshot:
			case !seen:
				t.Fatalf("%s: first quote %+v is not a snapshot", q.Symbol, q)
			case q.Seq != prev+1+q.Dropped:
				t.Fatalf("%s: seq %d after %d with dropped %d", q.Symbol, q.Seq, prev, q.Dropped)
			case q.Dropped > 0:
				gaps++
			}
		}
	}
	t.Logf("%d quotes read after the pause", quotes)
}
