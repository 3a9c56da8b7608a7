package feed

import (
	"testing"
	"time"
)

// TestHubRecent: Recent copies the held ticks, oldest first, without the
// expired ones.
func TestHubRecent(t *testing.T) {
	h, clk := newReplayHub(1024, time.Minute)
	if got := h.Recent("AAPL"); len(got) != 0 {
		t.Fatalf("Recent of an unknown symbol = %v", got)
	}
	for seq := uint64(1); seq <= 5; seq++ {
		h.Publish([]Quote{tick("AAPL", seq, 100)})
	}
	clk.advance(50 * time.Second)
	h.Publish([]Quote{tick("AAPL", 6, 100)})
	got := h.Recent("AAPL")
	if !equalSeqs(seqsOf(got), seqRange(1, 6)) {
		t.Fatalf("Recent = %v, want 1..6", seqsOf(got))
	}
	clk.advance(20 * time.Second) // 1..5 are 70 s old now
	if got := h.Recent("AAPL"); !equalSeqs(seqsOf(got), []uint64{6}) {
		t.Fatalf("Recent after the window = %v, want [6]", seqsOf(got))
	}
}

// TestHubForget: Forget refuses while a subscriber holds the symbol; once
// forgotten, older seqs are taken again and a resume from before the gap
// gets a snapshot marked resumed:false rather than a replay with a hole.
func TestHubForget(t *testing.T) {
	h, _ := newReplayHub(1024, time.Minute)
	for seq := uint64(1); seq <= 10; seq++ {
		h.Publish([]Quote{tick("AAPL", seq, 100)})
	}
	s := h.NewSubscriber(SubscriberOptions{SlowWindow: time.Hour})
	s.SetWatch([]string{"AAPL"})
	if !h.Watched("AAPL") || h.Watched("MSFT") {
		t.Fatal("Watched wrong while watching AAPL")
	}
	if h.Forget("AAPL") {
		t.Fatal("forgot a watched symbol")
	}
	s.Close()
	if h.Watched("AAPL") {
		t.Fatal("watched after Close")
	}
	if !h.Forget("AAPL") || len(h.Recent("AAPL")) != 0 {
		t.Fatal("not forgotten")
	}
	h.Publish([]Quote{tick("AAPL", 5, 100)}) // older than what was held: taken
	h.Publish([]Quote{tick("AAPL", 20, 100)})
	if got := seqsOf(h.Recent("AAPL")); !equalSeqs(got, []uint64{5, 20}) {
		t.Fatalf("held after Forget = %v, want [5 20]", got)
	}
	r := h.NewSubscriber(SubscriberOptions{SlowWindow: time.Hour})
	defer r.Close()
	r.SubscribeSince([]string{"AAPL"}, 0, map[string]uint64{"AAPL": 3}, nil)
	qs, _ := take(t, r)
	if len(qs) != 1 || !qs[0].Snapshot || qs[0].Seq != 20 {
		t.Fatalf("resume across the forgotten gap = %+v, want the snapshot at 20", qs)
	}
}

func seqsOf(qs []Quote) []uint64 {
	out := make([]uint64, len(qs))
	for i, q := range qs {
		out[i] = q.Seq
	}
	return out
}
