package feed

import (
	"fmt"
	"runtime"
	"testing"
	"time"
)

// benchUniverse returns n tickers.
func benchUniverse(n int) []string {
	syms := make([]string, n)
	for i := range syms {
		syms[i] = fmt.Sprintf("S%03d", i)
	}
	return syms
}

// BenchmarkHubPublish measures Publish of one tick of every symbol (a batch
// of 50) to N subscribers holding 10 symbols each, spread evenly. Between
// batches every subscriber is drained with the timer stopped, as writers
// would. It reports the cost per delivered quote and allocations per
// delivery (which must stay 0: the hub allocates per batch only).
func BenchmarkHubPublish(b *testing.B) {
	for _, n := range []int{1_000, 10_000} {
		b.Run(fmt.Sprintf("subs=%d", n), func(b *testing.B) {
			syms := benchUniverse(50)
			h := NewHub(HubConfig{})
			subs := make([]*Subscriber, n)
			for i := range subs {
				subs[i] = h.NewSubscriber(SubscriberOptions{SlowWindow: time.Hour})
				pick := make([]string, 10)
				for k := range pick {
					pick[k] = syms[(i+k*5)%len(syms)]
				}
				subs[i].Subscribe(pick, 0, nil)
			}
			batch := make([]Quote, len(syms))
			buf := make([]byte, 0, 4096)
			drain := func() {
				for _, s := range subs {
					buf, _ = s.Take(buf[:0])
				}
			}
			var seq uint64
			publish := func() {
				seq++
				for i, s := range syms {
					batch[i] = Quote{Symbol: s, Price: 18712 + int64(seq%50), PrevClose: 18600, Open: 18650,
						High: 18800, Low: 18500, Volume: 1_234_567, TS: 1_764_000_000_123, Seq: seq}
				}
				h.Publish(batch)
			}
			publish()
			drain()
			before := h.Stats().Delivered
			var ms0, ms1 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			b.ResetTimer()
			for b.Loop() {
				publish()
				b.StopTimer()
				drain()
				b.StartTimer()
			}
			b.StopTimer()
			runtime.ReadMemStats(&ms1)
			delivered := float64(h.Stats().Delivered - before)
			b.ReportMetric(delivered/float64(b.N), "deliveries/op")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/delivered, "ns/delivery")
			b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/delivered, "allocs/delivery")
		})
	}
}

// BenchmarkSubscriberTake measures a writer packing 10 pending quotes into
// one {"type":"quotes","data":[...]} frame in a reused buffer.
func BenchmarkSubscriberTake(b *testing.B) {
	syms := benchUniverse(10)
	h := NewHub(HubConfig{})
	s := h.NewSubscriber(SubscriberOptions{SlowWindow: time.Hour})
	s.Subscribe(syms, 0, nil)
	batch := make([]Quote, len(syms))
	frame := make([]byte, 0, 4096)
	var seq uint64
	var size int
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		seq++
		for i, sym := range syms {
			batch[i] = Quote{Symbol: sym, Price: 18712, PrevClose: 18600, Open: 18650, High: 18800, Low: 18500,
				Volume: 1_234_567, TS: 1_764_000_000_123, Seq: seq}
		}
		h.Publish(batch)
		b.StartTimer()
		frame = append(frame[:0], `{"type":"quotes","data":[`...)
		frame, _ = s.Take(frame)
		frame = append(frame, "]}"...)
		size = len(frame)
	}
	b.ReportMetric(float64(size), "frame-bytes")
}
