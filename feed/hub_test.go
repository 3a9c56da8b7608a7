package feed

import (
	"encoding/json"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock makes a hub's time controllable.
type fakeClock struct{ d atomic.Int64 }

func (c *fakeClock) now() time.Duration      { return time.Duration(c.d.Load()) }
func (c *fakeClock) advance(d time.Duration) { c.d.Add(int64(d)) }
func newTestHub() (*Hub, *fakeClock) {
	h := NewHub(HubConfig{})
	c := &fakeClock{}
	h.now = c.now
	return h, c
}
func tick(sym string, seq uint64, price int64) Quote {
	return Quote{Symbol: sym, Price: price, PrevClose: 10000, Open: 10000, High: price, Low: price, TS: int64(seq), Seq: seq}
}

type wireQuote struct {
	Symbol   string  `json:"symbol"`
	Price    float64 `json:"price"`
	Seq      uint64  `json:"seq"`
	Snapshot bool    `json:"snapshot"`
	Dropped  uint64  `json:"dropped"`
}

// take drains s and decodes what it returned.
func take(t *testing.T, s *Subscriber) ([]wireQuote, Batch) {
	t.Helper()
	buf, b := s.Take([]byte{'['})
	buf = append(buf, ']')
	var qs []wireQuote
	if err := json.Unmarshal(buf, &qs); err != nil {
		t.Fatalf("Take produced invalid JSON %s: %v", buf, err)
	}
	if len(qs) != b.Quotes {
		t.Fatalf("Batch.Quotes = %d, decoded %d", b.Quotes, len(qs))
	}
	return qs, b
}

func signalled(s *Subscriber) bool {
	select {
	case <-s.Notify():
		return true
	default:
		return false
	}
}

func TestHubFanOutOnlySubscribedSymbols(t *testing.T) {
	h, _ := newTestHub()
	a := h.NewSubscriber(SubscriberOptions{})
	b := h.NewSubscriber(SubscriberOptions{})
	a.Subscribe([]string{"AAPL", "MSFT"}, 0, nil)
	b.Subscribe([]string{"MSFT"}, 0, nil)
	if signalled(a) || signalled(b) {
		t.Fatal("signalled before any quote exists")
	}
	h.Publish([]Quote{tick("AAPL", 1, 10100), tick("MSFT", 1, 20000), tick("TSLA", 1, 30000)})

	tests := []struct {
		name string
		sub  *Subscriber
		want []string
	}{
		{"a", a, []string{"AAPL", "MSFT"}},
		{"b", b, []string{"MSFT"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !signalled(tt.sub) {
				t.Fatal("not signalled")
			}
			qs, _ := take(t, tt.sub)
			if len(qs) != len(tt.want) {
				t.Fatalf("got %+v, want symbols %v", qs, tt.want)
			}
			for i, q := range qs {
				if q.Symbol != tt.want[i] || !q.Snapshot || q.Seq != 1 {
					t.Errorf("quote %d = %+v, want first delivery of %s as snapshot seq 1", i, q, tt.want[i])
				}
			}
		})
	}
	h.Publish([]Quote{tick("AAPL", 2, 10200)})
	qs, _ := take(t, a)
	if len(qs) != 1 || qs[0].Snapshot || qs[0].Seq != 2 || qs[0].Price != 102.00 {
		t.Fatalf("second delivery = %+v, want plain tick AAPL seq 2 at 102.00", qs)
	}
	if qs, _ := take(t, b); len(qs) != 0 {
		t.Fatalf("b got %+v for a symbol it did not subscribe", qs)
	}
	st := h.Stats()
	if st.Published != 4 || st.Delivered != 4 || st.Subscribers != 2 {
		t.Fatalf("stats = %+v", st)
	}
}

func TestHubSnapshotOnSubscribe(t *testing.T) {
	h, _ := newTestHub()
	h.Publish([]Quote{tick("AAPL", 7, 10700)})
	s := h.NewSubscriber(SubscriberOptions{})
	latestCalls := 0
	latest := func(sym string) (Quote, bool) { latestCalls++; return tick(sym, 3, 10300), true }
	if n := s.Subscribe([]string{"AAPL", "MSFT"}, 0, latest); n != 2 {
		t.Fatalf("Subscribe added %d, want 2", n)
	}
	qs, _ := take(t, s)
	if len(qs) != 2 || qs[0].Seq != 7 || !qs[0].Snapshot || qs[1].Symbol != "MSFT" || qs[1].Seq != 3 || !qs[1].Snapshot {
		t.Fatalf("snapshots = %+v, want AAPL seq 7 from the hub, MSFT seq 3 from latest", qs)
	}
	if latestCalls != 1 {
		t.Fatalf("latest called %d times, want only for the symbol the hub had not seen", latestCalls)
	}
	if n := s.Subscribe([]string{"AAPL"}, 0, latest); n != 0 {
		t.Fatalf("re-subscribing added %d", n)
	}
	if qs, _ := take(t, s); len(qs) != 0 {
		t.Fatalf("re-subscribe produced %+v, want nothing", qs)
	}
	// An older tick than the snapshot must not go out (seq never goes back).
	h.Publish([]Quote{tick("MSFT", 2, 10200), tick("MSFT", 4, 10400)})
	if qs, _ := take(t, s); len(qs) != 1 || qs[0].Seq != 4 {
		t.Fatalf("got %+v, want only MSFT seq 4", qs)
	}
}

func TestHubUnsubscribeStopsDelivery(t *testing.T) {
	h, _ := newTestHub()
	s := h.NewSubscriber(SubscriberOptions{})
	s.Subscribe([]string{"AAPL", "MSFT"}, 0, nil)
	h.Publish([]Quote{tick("AAPL", 1, 1), tick("MSFT", 1, 1)})
	s.Unsubscribe([]string{"AAPL", "NOPE"})
	qs, _ := take(t, s)
	if len(qs) != 1 || qs[0].Symbol != "MSFT" {
		t.Fatalf("got %+v, want the pending AAPL dropped", qs)
	}
	h.Publish([]Quote{tick("AAPL", 2, 1)})
	if signalled(s) {
		t.Fatal("signalled for an unsubscribed symbol")
	}
	if qs, _ := take(t, s); len(qs) != 0 {
		t.Fatalf("got %+v after unsubscribe", qs)
	}
	s.Close()
	s.Close()
	h.Publish([]Quote{tick("MSFT", 2, 1)})
	if qs, _ := take(t, s); len(qs) != 0 {
		t.Fatalf("closed subscriber got %+v", qs)
	}
	if n := h.Stats().Subscribers; n != 0 {
		t.Fatalf("subscribers = %d after Close", n)
	}
	for _, sym := range []string{"AAPL", "MSFT"} {
		if n := len(h.topic(sym).slots); n != 0 {
			t.Fatalf("topic %s still has %d slots", sym, n)
		}
	}
}

func TestHubWatchMarksDirtyOnly(t *testing.T) {
	h, _ := newTestHub()
	s := h.NewSubscriber(SubscriberOptions{})
	s.SetWatch([]string{"AAPL", "MSFT"})
	h.Publish([]Quote{tick("AAPL", 1, 1)})
	if !signalled(s) {
		t.Fatal("watched tick did not signal")
	}
	qs, b := take(t, s)
	if len(qs) != 0 || !b.Dirty {
		t.Fatalf("got %+v %+v, want dirty and no quotes", qs, b)
	}
	if _, b := take(t, s); b.Dirty {
		t.Fatal("dirty not cleared by Take")
	}
	s.Subscribe([]string{"AAPL"}, 0, nil) // both watched and subscribed
	s.SetWatch([]string{"MSFT"})
	h.Publish([]Quote{tick("AAPL", 2, 1)})
	qs, b = take(t, s)
	if len(qs) != 2 || !qs[0].Snapshot || qs[0].Seq != 1 || qs[1].Seq != 2 || b.Dirty {
		t.Fatalf("got %+v %+v, want the AAPL snapshot and tick and no dirty after unwatching", qs, b)
	}
	s.SetWatch(nil)
	h.Publish([]Quote{tick("MSFT", 2, 1)})
	if _, b := take(t, s); b.Dirty {
		t.Fatal("dirty after the watch set was cleared")
	}
	s.MarkDirty()
	if _, b := take(t, s); !b.Dirty {
		t.Fatal("MarkDirty not reported")
	}
}

func TestHubMaxRate(t *testing.T) {
	h, clk := newTestHub()
	s := h.NewSubscriber(SubscriberOptions{})
	s.Subscribe([]string{"AAPL"}, 100*time.Millisecond, nil)
	h.Publish([]Quote{tick("AAPL", 1, 1)})
	if qs, _ := take(t, s); len(qs) != 1 {
		t.Fatalf("first quote held back: %+v", qs)
	}
	clk.advance(10 * time.Millisecond)
	h.Publish([]Quote{tick("AAPL", 2, 1)})
	h.Publish([]Quote{tick("AAPL", 3, 1)})
	if n, c := s.slots["AAPL"].pending.n, h.Stats().Conflated; n != 1 || c != 1 {
		t.Fatalf("while held back: %d pending, %d conflated; want only the latest kept, 1 conflated", n, c)
	}
	qs, b := take(t, s)
	if len(qs) != 0 || b.Wait != 90*time.Millisecond {
		t.Fatalf("got %+v wait %v, want nothing and a wait of 90ms", qs, b.Wait)
	}
	clk.advance(90 * time.Millisecond)
	if qs, _ := take(t, s); len(qs) != 1 || qs[0].Seq != 3 || qs[0].Dropped != 1 {
		t.Fatalf("got %+v, want the latest (seq 3) once due, announcing 1 dropped", qs)
	}
	if got := h.Stats().Conflated; got != 1 {
		t.Fatalf("conflated = %d after delivery, want still 1", got)
	}
}

func TestHubLagDetection(t *testing.T) {
	tests := []struct {
		name string
		opts SubscriberOptions
		feed func(publish func(Quote), clk *fakeClock)
	}{
		{"window", SubscriberOptions{SlowWindow: time.Second}, func(publish func(Quote), clk *fakeClock) {
			publish(tick("AAPL", 1, 1))
			clk.advance(1500 * time.Millisecond)
			publish(tick("AAPL", 2, 1))
		}},
		{"conflations", SubscriberOptions{MaxConflated: 3}, func(publish func(Quote), clk *fakeClock) {
			for seq := uint64(1); seq <= pendingCap+4; seq++ {
				publish(tick("AAPL", seq, 1))
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, clk := newTestHub()
			slow := h.NewSubscriber(tt.opts)
			good := h.NewSubscriber(tt.opts)
			slow.Subscribe([]string{"AAPL"}, 0, nil)
			good.Subscribe([]string{"AAPL"}, 0, nil)
			// good drains after every publish; slow never does.
			tt.feed(func(q Quote) { h.Publish([]Quote{q}); take(t, good) }, clk)
			if !slow.Lagging() || good.Lagging() {
				t.Fatalf("lagging: slow=%v good=%v", slow.Lagging(), good.Lagging())
			}
			if !signalled(slow) {
				t.Fatal("lagging not signalled")
			}
			if _, b := take(t, slow); !b.Lagging || b.Quotes != 0 {
				t.Fatalf("Take on a lagging subscriber = %+v, want Lagging and no quotes", b)
			}
			if h.Stats().Lagged != 1 {
				t.Fatalf("stats = %+v", h.Stats())
			}
		})
	}
}

func TestHubConcurrentSubscribePublish(t *testing.T) {
	h := NewHub(HubConfig{})
	syms := []string{"A", "B", "C", "D", "E", "F", "G", "H"}
	stop := make(chan struct{})
	var pubWG, subWG sync.WaitGroup
	pubWG.Add(1)
	go func() {
		defer pubWG.Done()
		for seq := uint64(1); ; seq++ {
			select {
			case <-stop:
				return
			default:
			}
			batch := make([]Quote, len(syms))
			for i, s := range syms {
				batch[i] = tick(s, seq, int64(seq))
			}
			h.Publish(batch)
		}
	}()
	var bad atomic.Int64
	for w := 0; w < 8; w++ {
		subWG.Add(1)
		go func(w int) {
			defer subWG.Done()
			last := map[string]uint64{}
			for i := 0; i < 200; i++ {
				s := h.NewSubscriber(SubscriberOptions{})
				s.Subscribe(syms[w%4:w%4+4], 0, nil)
				s.SetWatch(syms[:w%3+1])
				clear(last)
				for j := 0; j < 3; j++ {
					buf, _ := s.Take([]byte{'['})
					var qs []wireQuote
					if err := json.Unmarshal(append(buf, ']'), &qs); err != nil {
						bad.Add(1)
					}
					for _, q := range qs {
						if q.Seq <= last[q.Symbol] {
							bad.Add(1)
						}
						last[q.Symbol] = q.Seq
					}
				}
				s.Unsubscribe(syms[w%4 : w%4+2])
				s.Close()
			}
		}(w)
	}
	subWG.Wait()
	close(stop)
	pubWG.Wait()
	if bad.Load() != 0 {
		t.Fatalf("%d invalid frames or seq regressions", bad.Load())
	}
	if n := h.Stats().Subscribers; n != 0 {
		t.Fatalf("subscribers = %d after all closed", n)
	}
	for _, sym := range syms {
		if n := len(h.topic(sym).slots); n != 0 {
			t.Errorf("topic %s leaks %d slots", sym, n)
		}
	}
}

// TestHubSignalsAtOnce: a tick signals its subscriber in the Publish that
// carries it, whatever the load; nothing waits for a timer.
func TestHubSignalsAtOnce(t *testing.T) {
	h, _ := newTestHub()
	s := h.NewSubscriber(SubscriberOptions{})
	s.Subscribe([]string{"AAPL"}, 0, nil)
	for seq := uint64(1); seq <= 1000; seq++ {
		h.Publish([]Quote{tick("AAPL", seq, 10000)})
		if !signalled(s) {
			t.Fatalf("tick %d did not signal at once", seq)
		}
		take(t, s)
	}
}

// TestHubSignalsManyOffThePublisher: a tick for more subscribers than
// Publish notifies itself still signals every one of them, from a goroutine
// Publish starts.
func TestHubSignalsManyOffThePublisher(t *testing.T) {
	h, _ := newTestHub()
	subs := make([]*Subscriber, 4*maxInlineSignals)
	for i := range subs {
		subs[i] = h.NewSubscriber(SubscriberOptions{})
		subs[i].Subscribe([]string{"AAPL"}, 0, nil)
	}
	h.Publish([]Quote{tick("AAPL", 1, 10000)})
	for i, s := range subs {
		select {
		case <-s.Notify():
		case <-time.After(5 * time.Second):
			t.Fatalf("subscriber %d never signalled", i)
		}
		if qs, _ := take(t, s); len(qs) != 1 || qs[0].Seq != 1 {
			t.Fatalf("subscriber %d took %+v", i, qs)
		}
	}
}

// TestHubOnPublishMayTake: OnPublish is called off the publisher, holding
// no lock, so it can Take what the Publish made pending; with more
// subscribers than one goroutine's share, every one of them is called,
// and a subscriber that takes in OnPublish receives every tick in order.
// A subscriber without OnPublish on the same symbol is still signalled.
// Calls for successive Publishes may overlap, so the subscriber lets one
// Take at a time, as a transport's writer does.
func TestHubOnPublishMayTake(t *testing.T) {
	for _, n := range []int{1, 3*deliverShare + 1} {
		h, _ := newTestHub()
		taken := make([]atomic.Uint64, n) // the newest seq each subscriber took
		for i := range n {
			var s *Subscriber
			var mu sync.Mutex
			s = h.NewSubscriber(SubscriberOptions{OnPublish: func() {
				mu.Lock()
				defer mu.Unlock()
				buf, b := s.Take([]byte{'['})
				var qs []wireQuote
				if err := json.Unmarshal(append(buf, ']'), &qs); err != nil || len(qs) != b.Quotes {
					t.Errorf("Take in OnPublish gave %s (%v)", buf, err)
					return
				}
				for _, q := range qs {
					if want := taken[i].Load() + 1; q.Seq != want || q.Dropped != 0 {
						t.Errorf("subscriber %d took seq %d (dropped %d), want %d", i, q.Seq, q.Dropped, want)
					}
					taken[i].Store(q.Seq)
				}
			}})
			s.Subscribe([]string{"AAPL"}, 0, nil)
		}
		plain := h.NewSubscriber(SubscriberOptions{})
		plain.Subscribe([]string{"AAPL"}, 0, nil)
		for seq := uint64(1); seq <= 20; seq++ {
			h.Publish([]Quote{tick("AAPL", seq, 10000)})
			select {
			case <-plain.Notify():
			case <-time.After(5 * time.Second):
				t.Fatalf("n=%d: the subscriber without OnPublish was not signalled for tick %d", n, seq)
			}
			take(t, plain)
			deadline := time.Now().Add(10 * time.Second)
			for i := range taken {
				for taken[i].Load() != seq {
					if time.Now().After(deadline) {
						t.Fatalf("n=%d: subscriber %d took up to seq %d of %d", n, i, taken[i].Load(), seq)
					}
					time.Sleep(time.Millisecond)
				}
			}
		}
	}
}
