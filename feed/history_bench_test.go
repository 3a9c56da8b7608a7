package feed

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"
)

// BenchmarkReplayHistoryMemory measures what the replay history costs: it
// publishes 90 s of a realistic stream (every symbol ticking 2 times a
// second on average at random moments, in 1 ms batches as the market
// publishes them) through a hub with the default history and through one
// without, and reports the difference in live heap after a GC, in total
// and per symbol, with the ticks held.
//
//	go test ./feed -run '^$' -bench ReplayHistoryMemory -benchtime 1x
func BenchmarkReplayHistoryMemory(b *testing.B) {
	for _, n := range []int{50, 5_000} {
		b.Run(fmt.Sprintf("symbols=%d", n), func(b *testing.B) {
			for b.Loop() {
				without, _ := heapAfterStream(n, HubConfig{})
				with, held := heapAfterStream(n, HubConfig{ReplayTicks: DefaultReplayTicks, ReplayWindow: DefaultReplayWindow})
				cost := float64(with) - float64(without)
				b.ReportMetric(cost/(1<<20), "MiB")
				b.ReportMetric(cost/float64(n), "B/symbol")
				b.ReportMetric(float64(held)/float64(n), "held/symbol")
				b.ReportMetric(cost/float64(held), "B/held")
			}
		})
	}
}

// heapAfterStream publishes the stream to a new hub with cfg and returns
// the live heap (HeapAlloc after GC) while the hub is still reachable, and
// how many ticks its histories hold.
func heapAfterStream(symbols int, cfg HubConfig) (heap uint64, held int) {
	const (
		rate     = DefaultTicksPerSecond
		duration = 90 * time.Second
		step     = time.Millisecond
	)
	syms := benchUniverse(symbols)
	rng := rand.New(rand.NewPCG(1, 2))
	next := make([]time.Duration, symbols) // when each symbol ticks next
	seq := make([]uint64, symbols)
	gap := func() time.Duration { return time.Duration(rng.ExpFloat64() / rate * float64(time.Second)) }
	for i := range next {
		next[i] = gap()
	}
	h := NewHub(cfg)
	var clock time.Duration
	h.now = func() time.Duration { return clock }
	var batch []Quote
	for clock = 0; clock < duration; clock += step {
		batch = batch[:0]
		for i, at := range next {
			if at > clock {
				continue
			}
			seq[i]++
			p := 18712 + int64(rng.IntN(200))
			batch = append(batch, Quote{Symbol: syms[i], Price: p, PrevClose: 18659, Open: 18690, High: 18740,
				Low: 18620, Volume: 1_234_567 + int64(seq[i])*100, TS: 1_764_000_000_123 + clock.Milliseconds(), Seq: seq[i]})
			next[i] = at + gap()
		}
		h.Publish(batch)
	}
	batch = nil
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	for _, t := range *h.topics.Load() {
		held += t.held.n
	}
	runtime.KeepAlive(h)
	return ms.HeapAlloc, held
}
