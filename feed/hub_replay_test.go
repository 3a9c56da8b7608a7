package feed

import (
	"encoding/json"
	"maps"
	"sync"
	"testing"
	"time"
)

// wireResumed is the resume flag of a quote: nil when absent.
type wireResumed struct {
	Seq     uint64 `json:"seq"`
	Resumed *bool  `json:"resumed"`
}

func newReplayHub(ticks int, window time.Duration) (*Hub, *fakeClock) {
	h, c := newTestHub()
	h.cfg = HubConfig{ReplayTicks: ticks, ReplayWindow: window}
	return h, c
}

// TestHubReplay: a subscriber resuming from a seq gets the ticks after it,
// in order, before live ones; or, when they are not all held any more or the
// seq is ahead of the symbol, the snapshot marked "resumed":false.
func TestHubReplay(t *testing.T) {
	tests := []struct {
		name     string
		limit    int
		window   time.Duration
		age      time.Duration // clock advance after publishing 1..20
		since    uint64
		wantSeqs []uint64 // delivered before the live tick 21
		stale    bool     // a "resumed":false snapshot instead
	}{
		{"replay complete", 1024, time.Minute, 0, 12, []uint64{13, 14, 15, 16, 17, 18, 19, 20}, false},
		{"more than the pending bound", 1024, time.Minute, 0, 1, seqRange(2, 20), false},
		{"nothing missed", 1024, time.Minute, 0, 20, nil, false},
		{"exactly the oldest held", 10, time.Minute, 0, 10, seqRange(11, 20), false},
		{"gap: evicted by count", 10, time.Minute, 0, 9, []uint64{20}, true},
		{"gap: expired by age", 1024, time.Minute, 2 * time.Minute, 12, []uint64{20}, true},
		{"since ahead of latest", 1024, time.Minute, 0, 50, []uint64{20}, true},
		{"no history", 0, 0, 0, 12, []uint64{20}, true},
		{"no history, nothing missed", 0, 0, 0, 20, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, clk := newReplayHub(tt.limit, tt.window)
			for seq := uint64(1); seq <= 20; seq++ {
				h.Publish([]Quote{tick("AAPL", seq, 100), tick("MSFT", seq, 100)})
			}
			clk.advance(tt.age)
			s := h.NewSubscriber(SubscriberOptions{SlowWindow: time.Hour})
			if n := s.SubscribeSince([]string{"AAPL", "MSFT"}, 0, map[string]uint64{"AAPL": tt.since}, nil); n != 2 {
				t.Fatalf("added %d symbols, want 2", n)
			}
			h.Publish([]Quote{tick("AAPL", 21, 100)})
			buf, _ := s.Take([]byte{'['})
			buf = append(buf, ']')
			var qs []wireQuote
			var flags []wireResumed
			if json.Unmarshal(buf, &qs) != nil || json.Unmarshal(buf, &flags) != nil {
				t.Fatalf("invalid JSON %s", buf)
			}
			var got []uint64
			for i, q := range qs {
				if q.Symbol == "MSFT" { // not resumed: a plain snapshot
					if !q.Snapshot || q.Seq != 20 || flags[i].Resumed != nil {
						t.Fatalf("MSFT = %s, want a plain snapshot at 20", buf)
					}
					continue
				}
				got = append(got, q.Seq)
				first := len(got) == 1
				switch {
				case first && tt.stale:
					if !q.Snapshot || flags[i].Resumed == nil || *flags[i].Resumed {
						t.Fatalf("AAPL %d in %s: want snapshot with resumed:false", q.Seq, buf)
					}
				case q.Snapshot || flags[i].Resumed != nil || q.Dropped != 0:
					t.Fatalf("AAPL %d in %s: want a plain quote", q.Seq, buf)
				}
			}
			want := append(append([]uint64(nil), tt.wantSeqs...), 21)
			if !equalSeqs(got, want) {
				t.Fatalf("AAPL seqs = %v, want %v", got, want)
			}
		})
	}
}

// TestHubReplayWithMaxRate: with an interval the missed ticks are
// conflated like live ones, the newest delivered with "dropped".
func TestHubReplayWithMaxRate(t *testing.T) {
	h, _ := newReplayHub(1024, time.Minute)
	for seq := uint64(1); seq <= 20; seq++ {
		h.Publish([]Quote{tick("AAPL", seq, 100)})
	}
	s := h.NewSubscriber(SubscriberOptions{SlowWindow: time.Hour})
	s.SubscribeSince([]string{"AAPL"}, time.Second, map[string]uint64{"AAPL": 10}, nil)
	qs, _ := take(t, s)
	if len(qs) != 1 || qs[0].Seq != 20 || qs[0].Dropped != 9 || qs[0].Snapshot {
		t.Fatalf("Take = %+v, want seq 20 with dropped 9", qs)
	}
}

// TestHubReplayRacesPublish: resuming while the publisher runs delivers
// every seq exactly once, in order: no tick falls between the history read
// and the registration, and none comes twice. The publisher runs at most a
// few batches ahead of the reader (credits), so nothing is conflated, and
// gets six credits just before each subscribe so that it races it.
func TestHubReplayRacesPublish(t *testing.T) {
	h := NewHub(HubConfig{ReplayTicks: 1024, ReplayWindow: time.Minute})
	syms := []string{"A", "B", "C", "D"}
	credit := make(chan struct{}, 64)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for seq := uint64(1); ; seq++ {
			select {
			case <-stop:
				return
			case <-credit:
			}
			batch := make([]Quote, len(syms))
			for i, s := range syms {
				batch[i] = tick(s, seq, int64(seq))
			}
			h.Publish(batch)
		}
	}()
	defer wg.Wait()
	defer close(stop)
	given := uint64(30)
	for range given {
		credit <- struct{}{}
	}
	for round := 0; round < 300; round++ {
		for last := h.topic("D").last.Load(); last == nil || last.seq < given; last = h.topic("D").last.Load() {
			time.Sleep(time.Millisecond) // let the publisher use every credit
		}
		// A client that saw every seq up to 20 ticks ago reconnects while
		// ticks are being published.
		since := map[string]uint64{}
		for _, s := range syms {
			since[s] = h.topic(s).last.Load().seq - 20
		}
		for range 6 {
			credit <- struct{}{}
		}
		given += 6
		s := h.NewSubscriber(SubscriberOptions{SlowWindow: time.Hour})
		s.SubscribeSince(syms, 0, since, nil)
		last := maps.Clone(since)
		for last["A"] < since["A"]+30 {
			<-s.Notify()
			buf, _ := s.Take([]byte{'['})
			var qs []wireQuote
			if err := json.Unmarshal(append(buf, ']'), &qs); err != nil {
				t.Fatal(err)
			}
			for _, q := range qs {
				if q.Snapshot || q.Seq != last[q.Symbol]+1 {
					t.Fatalf("round %d: %s after %d got %+v", round, q.Symbol, last[q.Symbol], q)
				}
				last[q.Symbol] = q.Seq
				if q.Symbol == "A" && q.Seq > since["A"]+20 {
					credit <- struct{}{} // one read past the raced ones: allow one more
					given++
				}
			}
		}
		s.Close()
	}
}

func seqRange(from, to uint64) []uint64 {
	var out []uint64
	for s := from; s <= to; s++ {
		out = append(out, s)
	}
	return out
}

func equalSeqs(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
