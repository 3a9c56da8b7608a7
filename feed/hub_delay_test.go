package feed

import (
	"testing"
	"time"
)

// TestHubWriteDelayJoinsTicks: with a WriteDelay, Publish notifies nobody
// itself; one timer, armed by the first Publish after it last fired,
// notifies every subscriber the Publishes meanwhile made pending, and each
// then takes all of those ticks at once, in order and without conflation.
// Without one, Publish notifies at once and arms nothing.
func TestHubWriteDelayJoinsTicks(t *testing.T) {
	for _, tc := range []struct {
		name  string
		delay time.Duration
	}{{"no delay", 0}, {"delay", 20 * time.Millisecond}} {
		t.Run(tc.name, func(t *testing.T) {
			h, _ := newTestHub()
			h.cfg.WriteDelay = tc.delay
			var timers []func()
			h.afterFunc = func(d time.Duration, f func()) {
				if d != tc.delay {
					t.Errorf("timer armed for %v, want %v", d, tc.delay)
				}
				timers = append(timers, f)
			}
			s := h.NewSubscriber(SubscriberOptions{})
			pub := make(chan struct{}, 10)
			p := h.NewSubscriber(SubscriberOptions{OnPublish: func() { pub <- struct{}{} }})
			for _, sub := range []*Subscriber{s, p} {
				sub.Subscribe([]string{"AAA", "BBB"}, 0, nil)
			}

			h.Publish([]Quote{tick("AAA", 1, 10100)})
			h.Publish([]Quote{tick("BBB", 1, 20100)})
			h.Publish([]Quote{tick("AAA", 2, 10200)})
			if tc.delay == 0 {
				if len(timers) != 0 {
					t.Fatalf("without a delay: %d timers armed, want none", len(timers))
				}
			} else {
				if len(timers) != 1 {
					t.Fatalf("%d timers armed by three Publishes, want 1", len(timers))
				}
				if len(h.wake) != 2 || signalled(s) || len(pub) != 0 {
					t.Fatalf("%d subscribers wait for the timer, want 2, none notified before it", len(h.wake))
				}
				timers[0]()
			}
			if len(h.wake) != 0 {
				t.Fatalf("%d subscribers still wait to be notified", len(h.wake))
			}
			for _, c := range []<-chan struct{}{s.Notify(), pub} {
				select { // the notifications run on the hub's goroutines
				case <-c:
				case <-time.After(10 * time.Second):
					t.Fatal("a subscriber was not notified")
				}
			}
			for _, sub := range []*Subscriber{s, p} {
				qs, b := take(t, sub)
				want := []wireQuote{{Symbol: "AAA", Seq: 1}, {Symbol: "AAA", Seq: 2}, {Symbol: "BBB", Seq: 1}}
				if len(qs) != len(want) || b.Wait != 0 || b.Lagging {
					t.Fatalf("Take = %+v, %+v; want the three ticks", qs, b)
				}
				for i, q := range qs {
					if q.Symbol != want[i].Symbol || q.Seq != want[i].Seq || q.Dropped != 0 {
						t.Errorf("quote %d = %+v, want %s seq %d, nothing dropped", i, q, want[i].Symbol, want[i].Seq)
					}
				}
			}
			if st := h.Stats(); st.Conflated != 0 || st.Delivered != 6 {
				t.Errorf("stats %+v, want 6 delivered, none conflated", st)
			}

			h.Publish([]Quote{tick("BBB", 2, 20200)})
			if want := min(int(tc.delay), 1) * 2; len(timers) != want {
				t.Errorf("%d timers armed after the next Publish, want %d", len(timers), want)
			}
		})
	}
}
