package feed

import (
	"testing"
	"time"
)

// TestHubKeepsUpReceivesEveryTick: a subscriber that drains within the
// queue bound receives every tick of its symbols, in seq order, with no
// conflation and no "dropped".
func TestHubKeepsUpReceivesEveryTick(t *testing.T) {
	tests := []struct {
		name      string
		perTake   int // publishes of every symbol between two Takes
		publishes int
	}{
		{"take after each publish", 1, 200},
		{"take after two publishes", 2, 200},
		{"take at the queue bound", pendingCap, 8 * pendingCap},
	}
	syms := []string{"AAPL", "MSFT", "KO"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, _ := newTestHub()
			s := h.NewSubscriber(SubscriberOptions{})
			s.Subscribe(syms, 0, nil)
			h.Publish([]Quote{tick("AAPL", 1, 1), tick("MSFT", 1, 1), tick("KO", 1, 1)})
			if qs, _ := take(t, s); len(qs) != 3 || !qs[0].Snapshot {
				t.Fatalf("first Take = %+v, want three snapshots at seq 1", qs)
			}
			last := map[string]uint64{"AAPL": 1, "MSFT": 1, "KO": 1}
			got := 0
			for seq := uint64(2); seq < uint64(2+tt.publishes); seq++ {
				// Interleave the symbols in one batch, as the market does.
				h.Publish([]Quote{tick("AAPL", seq, 1), tick("MSFT", seq, 1), tick("KO", seq, 1)})
				if int(seq-1)%tt.perTake != 0 {
					continue
				}
				qs, _ := take(t, s)
				for _, q := range qs {
					if q.Seq != last[q.Symbol]+1 || q.Snapshot || q.Dropped != 0 {
						t.Fatalf("after %s seq %d got %+v: want seq %d, no snapshot, no dropped",
							q.Symbol, last[q.Symbol], q, last[q.Symbol]+1)
					}
					last[q.Symbol] = q.Seq
				}
				got += len(qs)
			}
			if want := len(syms) * tt.publishes; got != want {
				t.Fatalf("received %d ticks, want every one of %d", got, want)
			}
			if st := h.Stats(); st.Conflated != 0 || st.Lagged != 0 {
				t.Fatalf("stats = %+v, want nothing conflated or lagged", st)
			}
		})
	}
}

// TestHubStalledSubscriberConflates: a subscriber that stops taking keeps
// at most pendingCap ticks per symbol, the drops are counted, the first
// quote after the stall announces how many ticks were dropped (the seq gap),
// and the slow window still marks it lagging.
func TestHubStalledSubscriberConflates(t *testing.T) {
	tests := []struct {
		name  string
		ticks int // ticks of AAPL published while stalled
	}{
		{"within the bound", pendingCap},
		{"one past the bound", pendingCap + 1},
		{"far past the bound", 40 * pendingCap},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, clk := newTestHub()
			s := h.NewSubscriber(SubscriberOptions{SlowWindow: time.Second})
			good := h.NewSubscriber(SubscriberOptions{SlowWindow: time.Second})
			s.Subscribe([]string{"AAPL", "MSFT"}, 0, nil)
			good.Subscribe([]string{"AAPL"}, 0, nil)
			h.Publish([]Quote{tick("AAPL", 1, 1), tick("MSFT", 1, 1)})
			take(t, s)
			take(t, good)

			for i := 0; i < tt.ticks; i++ {
				seq := uint64(2 + i)
				h.Publish([]Quote{tick("AAPL", seq, int64(seq))})
				if i == 0 {
					h.Publish([]Quote{tick("MSFT", 2, 1)}) // a quiet symbol's one tick survives the busy one
				}
				take(t, good)
				if n := s.slots["AAPL"].pending.n; n > pendingCap {
					t.Fatalf("%d ticks pending, bound is %d", n, pendingCap)
				}
			}
			wantDropped := max(tt.ticks-pendingCap, 0)
			if got := h.Stats().Conflated; got != uint64(wantDropped) {
				t.Fatalf("conflated = %d, want %d", got, wantDropped)
			}

			qs, _ := take(t, s)
			last := map[string]uint64{"AAPL": 1, "MSFT": 1}
			for i, q := range qs {
				gap := q.Seq - last[q.Symbol] - 1
				if q.Dropped != gap {
					t.Fatalf("quote %d %+v: dropped = %d, want the seq gap %d", i, q, q.Dropped, gap)
				}
				last[q.Symbol] = q.Seq
			}
			if last["AAPL"] != uint64(1+tt.ticks) || last["MSFT"] != 2 {
				t.Fatalf("after the stall got %+v, want up to AAPL %d and MSFT 2", qs, 1+tt.ticks)
			}
			if len(qs) != min(tt.ticks, pendingCap)+1 {
				t.Fatalf("got %d quotes, want the newest %d of AAPL and MSFT's", len(qs), min(tt.ticks, pendingCap))
			}
			if first := qs[0]; first.Symbol != "AAPL" || first.Dropped != uint64(wantDropped) {
				t.Fatalf("first quote after the stall = %+v, want AAPL with dropped=%d", first, wantDropped)
			}
			if qs, _ := take(t, s); len(qs) != 0 {
				t.Fatalf("second Take = %+v, want nothing", qs)
			}
			h.Publish([]Quote{tick("AAPL", uint64(2+tt.ticks), 1)})
			if qs, _ := take(t, s); len(qs) != 1 || qs[0].Dropped != 0 {
				t.Fatalf("after catching up got %+v, want one tick and no dropped", qs)
			}

			// Stalled past the slow window: lagging, as before.
			h.Publish([]Quote{tick("AAPL", uint64(3+tt.ticks), 1)})
			clk.advance(1500 * time.Millisecond)
			h.Publish([]Quote{tick("AAPL", uint64(4+tt.ticks), 1)})
			if !s.Lagging() {
				t.Fatal("not lagging after the slow window")
			}
			if _, b := take(t, s); !b.Lagging {
				t.Fatal("Take did not report lagging")
			}
		})
	}
}

// TestHubMaxRateSetLaterKeepsLatest: ticks queued before max_rate_ms was
// set collapse to the latest at the next delivery, and count as dropped.
func TestHubMaxRateSetLaterKeepsLatest(t *testing.T) {
	h, _ := newTestHub()
	s := h.NewSubscriber(SubscriberOptions{})
	s.Subscribe([]string{"AAPL"}, 0, nil)
	h.Publish([]Quote{tick("AAPL", 1, 1)})
	take(t, s)
	for seq := uint64(2); seq <= 5; seq++ {
		h.Publish([]Quote{tick("AAPL", seq, 1)})
	}
	s.Subscribe([]string{"AAPL"}, time.Second, nil)
	qs, _ := take(t, s)
	if len(qs) != 1 || qs[0].Seq != 5 || qs[0].Dropped != 3 {
		t.Fatalf("got %+v, want only seq 5 with dropped=3", qs)
	}
	if got := h.Stats().Conflated; got != 3 {
		t.Fatalf("conflated = %d, want 3", got)
	}
}
