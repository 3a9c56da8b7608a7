package main

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// Histogram is a log-linear (HDR-style) histogram of durations with fixed
// buckets: every value from 0 to histMax is recorded with a relative error of
// at most 1/128 (0.79%); larger values are clamped to histMax and still
// counted. Record is lock-free and safe for concurrent use, so clients can
// share a few histograms without a mutex.
//
// Values are nanoseconds. Below 256 ns each nanosecond has its own bucket;
// from there every power of two is split into 128 equal sub-buckets.
type Histogram struct {
	counts [histBuckets]atomic.Uint64
	total  atomic.Uint64
	max    atomic.Int64
	min    atomic.Int64 // min+1, so the zero value means "none"
	sum    atomic.Int64
}

const (
	histSubBits  = 7                             // 128 sub-buckets per power of two
	histHalf     = 1 << histSubBits              // 128
	histMax      = int64(60 * time.Second)       // largest distinguishable value
	histTopShift = 36 - (histSubBits + 1)        // 2^36 ns ≈ 68.7 s > histMax
	histBuckets  = (histTopShift + 2) * histHalf // indexes 0..(top+1)*128+127
)

// bucketOf maps a non-negative value to its bucket index.
func bucketOf(v int64) int {
	u := uint64(v)
	shift := bits.Len64(u|(2*histHalf-1)) - (histSubBits + 1)
	return shift*histHalf + int(u>>uint(shift))
}

// bucketHigh is the largest value that maps to bucket i.
func bucketHigh(i int) int64 {
	shift := i/histHalf - 1
	if shift < 0 {
		return int64(i)
	}
	sub := int64(i - shift*histHalf)
	return (sub+1)<<uint(shift) - 1
}

// Record adds one observation. Negative values count as 0.
func (h *Histogram) Record(d time.Duration) {
	v := int64(d)
	if v < 0 {
		v = 0
	}
	if v > histMax {
		v = histMax
	}
	h.counts[bucketOf(v)].Add(1)
	h.total.Add(1)
	h.sum.Add(v)
	for {
		m := h.max.Load()
		if v <= m || h.max.CompareAndSwap(m, v) {
			break
		}
	}
	for {
		m := h.min.Load()
		if (m != 0 && v+1 >= m) || h.min.CompareAndSwap(m, v+1) {
			break
		}
	}
}

// Merge adds every observation of o into h. o must not be recorded into
// concurrently.
func (h *Histogram) Merge(o *Histogram) {
	for i := range o.counts {
		if c := o.counts[i].Load(); c != 0 {
			h.counts[i].Add(c)
		}
	}
	h.total.Add(o.total.Load())
	h.sum.Add(o.sum.Load())
	if m := o.max.Load(); m > h.max.Load() {
		h.max.Store(m)
	}
	if m := o.min.Load(); m != 0 && (h.min.Load() == 0 || m < h.min.Load()) {
		h.min.Store(m)
	}
}

// Count is the number of observations.
func (h *Histogram) Count() uint64 { return h.total.Load() }

// Max is the largest observation (exact, after clamping to 60 s).
func (h *Histogram) Max() time.Duration { return time.Duration(h.max.Load()) }

// Min is the smallest observation, or 0 when there is none.
func (h *Histogram) Min() time.Duration {
	if m := h.min.Load(); m > 0 {
		return time.Duration(m - 1)
	}
	return 0
}

// Mean is the arithmetic mean, or 0 when there is no observation.
func (h *Histogram) Mean() time.Duration {
	n := h.total.Load()
	if n == 0 {
		return 0
	}
	return time.Duration(h.sum.Load() / int64(n))
}

// Quantile returns a value v such that at least a fraction q of the
// observations are <= v, within the histogram's precision: the upper edge of
// the bucket holding the q-th observation, never more than Max. It returns 0
// when there is no observation.
func (h *Histogram) Quantile(q float64) time.Duration {
	n := h.total.Load()
	if n == 0 {
		return 0
	}
	if q < 0 {
		q = 0
	}
	if q > 1 {
		q = 1
	}
	rank := uint64(q*float64(n) + 0.999999999) // ceil without float surprises at exact ranks
	if rank < 1 {
		rank = 1
	}
	if rank > n {
		rank = n
	}
	var seen uint64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			v := bucketHigh(i)
			if m := h.max.Load(); v > m {
				v = m
			}
			return time.Duration(v)
		}
	}
	return h.Max()
}
