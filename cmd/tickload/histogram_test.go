package main

import (
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestBucketsCoverRangeWithinPrecision(t *testing.T) {
	// Every bucket's edges: contiguous, and no wider than 1/128 of its values.
	prevHigh := int64(-1)
	for i := range histBuckets {
		high := bucketHigh(i)
		low := prevHigh + 1
		if got := bucketOf(low); got != i {
			t.Fatalf("bucketOf(%d) = %d, want %d", low, got, i)
		}
		if got := bucketOf(high); got != i {
			t.Fatalf("bucketOf(%d) = %d, want %d (high edge)", high, got, i)
		}
		if width := high - low + 1; low >= 256 && float64(width)/float64(low) > 1.0/128 {
			t.Fatalf("bucket %d [%d,%d] wider than 1/128 of its values", i, low, high)
		}
		prevHigh = high
	}
	if prevHigh < histMax {
		t.Fatalf("top bucket ends at %d, below histMax %d", prevHigh, histMax)
	}
}

func TestQuantiles(t *testing.T) {
	tests := []struct {
		name   string
		values []time.Duration
		q      float64
		want   time.Duration
	}{
		{"empty", nil, 0.5, 0},
		{"single", []time.Duration{3 * time.Millisecond}, 0.99, 3 * time.Millisecond},
		{"median of 1..100ms", msRange(1, 100), 0.5, 50 * time.Millisecond},
		{"p90 of 1..100ms", msRange(1, 100), 0.9, 90 * time.Millisecond},
		{"p99 of 1..100ms", msRange(1, 100), 0.99, 99 * time.Millisecond},
		{"p100 is max", msRange(1, 100), 1, 100 * time.Millisecond},
		{"negative counts as zero", []time.Duration{-time.Second}, 0.5, 0},
		{"above range clamps to 60s", []time.Duration{2 * time.Minute}, 0.5, 60 * time.Second},
		{"10us resolves", []time.Duration{10 * time.Microsecond}, 0.5, 10 * time.Microsecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h Histogram
			for _, v := range tt.values {
				h.Record(v)
			}
			got := h.Quantile(tt.q)
			if !within(got, tt.want, 1.0/128) {
				t.Fatalf("Quantile(%v) = %v, want %v within 0.8%%", tt.q, got, tt.want)
			}
		})
	}
}

// TestQuantileAgainstSort compares with exact order statistics on random
// log-distributed values from 10us to 60s.
func TestQuantileAgainstSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var h Histogram
	vals := make([]time.Duration, 100_000)
	for i := range vals {
		// 10us * 6e6^u, u uniform: log-uniform over the whole range.
		f := 1.0
		for range int(rng.Float64() * 226) { // 1.071^226 ≈ 5e6
			f *= 1.071
		}
		vals[i] = time.Duration(f * float64(10*time.Microsecond))
		h.Record(vals[i])
	}
	slices.Sort(vals)
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		want := vals[int(q*float64(len(vals)))-1]
		if got := h.Quantile(q); !within(got, want, 1.0/128) {
			t.Errorf("p%v = %v, exact %v", q*100, got, want)
		}
	}
	if h.Max() != vals[len(vals)-1] || h.Min() != vals[0] {
		t.Errorf("max/min = %v/%v, want %v/%v", h.Max(), h.Min(), vals[len(vals)-1], vals[0])
	}
}

func TestConcurrentRecordAndMerge(t *testing.T) {
	shards := []*Histogram{{}, {}}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				shards[g%2].Record(time.Duration(i+1) * time.Microsecond)
			}
		})
	}
	wg.Wait()
	var all Histogram
	for _, s := range shards {
		all.Merge(s)
	}
	if all.Count() != 8000 {
		t.Fatalf("count = %d, want 8000", all.Count())
	}
	if all.Max() != time.Millisecond || all.Min() != time.Microsecond {
		t.Fatalf("max/min = %v/%v", all.Max(), all.Min())
	}
	if got := all.Mean(); got != 500500*time.Nanosecond {
		t.Fatalf("mean = %v, want 500.5us", got)
	}
}

func msRange(from, to int) []time.Duration {
	var out []time.Duration
	for i := from; i <= to; i++ {
		out = append(out, time.Duration(i)*time.Millisecond)
	}
	return out
}

// within reports whether got is in [want, want*(1+rel)]: quantiles report
// the upper edge of a bucket, never less than the true value.
func within(got, want time.Duration, rel float64) bool {
	return got >= want && float64(got-want) <= rel*float64(want)+1
}

func BenchmarkRecord(b *testing.B) {
	var h Histogram
	for i := range b.N {
		h.Record(time.Duration(i&0xffff) * time.Microsecond)
	}
}
