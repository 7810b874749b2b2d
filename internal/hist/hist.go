// Package hist records latencies in a log-linear histogram in the manner of
// HdrHistogram: values below 256 ns are exact, every larger value falls in a
// bucket less than 1/128 of its size wide (relative error under 0.8 %), from
// nanoseconds to about eighteen minutes. Recording is one index computation
// and an increment, with no allocation after the first.
//
// Percentiles are read from the bucket counts, never from averages; Min, Max,
// Count and Mean are kept exactly beside them.
package hist

import (
	"math"
	"math/bits"
	"time"
)

// Bucket layout. Values v < 2·subBuckets are their own bucket. Above that,
// v is split into an exponent e (v >> e has exactly subBits+1 significant
// bits) and the top bits of its mantissa, so each power-of-two range holds
// subBuckets buckets.
const (
	subBits    = 7
	subBuckets = 1 << subBits // buckets per power of two above the exact range
	exactLimit = 2 * subBuckets
	maxShift   = 33 // largest e: values up to 2^41 ns ≈ 36 min
	numBuckets = exactLimit + maxShift*subBuckets

	// MaxValue is the largest value recorded exactly into its own bucket;
	// larger values are counted in the top bucket (Max stays exact).
	MaxValue = int64(1)<<(maxShift+subBits+1) - 1
)

// Histogram is a latency histogram in nanoseconds. The zero value is empty
// and ready to use. It is not safe for concurrent use.
type Histogram struct {
	counts []uint64 // allocated on first Record
	n      uint64
	sum    float64 // exact for any realistic run: float64 holds 2^53 ns
	min    int64
	max    int64
}

// New returns an empty histogram with its buckets allocated, so that the
// first Record does not allocate.
func New() *Histogram {
	return &Histogram{counts: make([]uint64, numBuckets)}
}

// index returns the bucket of v (0 ≤ v ≤ MaxValue).
func index(v int64) int {
	if v < exactLimit {
		return int(v)
	}
	e := bits.Len64(uint64(v)) - (subBits + 1) // ≥ 1 here
	m := int(v >> e)                           // in [subBuckets, 2·subBuckets)
	return exactLimit + (e-1)*subBuckets + m - subBuckets
}

// bounds returns the smallest and largest value that fall in bucket i.
func bounds(i int) (lo, hi int64) {
	if i < exactLimit {
		return int64(i), int64(i)
	}
	j := i - exactLimit
	e := j/subBuckets + 1
	m := int64(j%subBuckets + subBuckets)
	return m << e, (m+1)<<e - 1
}

// Record adds one value in nanoseconds. Negative values count as zero;
// values above MaxValue land in the top bucket.
func (h *Histogram) Record(ns int64) {
	if h.counts == nil {
		h.counts = make([]uint64, numBuckets)
	}
	ns = max(ns, 0)
	if h.n == 0 || ns < h.min {
		h.min = ns
	}
	if ns > h.max {
		h.max = ns
	}
	h.n++
	h.sum += float64(ns)
	h.counts[index(min(ns, MaxValue))]++
}

// RecordDuration adds one duration.
func (h *Histogram) RecordDuration(d time.Duration) { h.Record(int64(d)) }

// Merge adds every value recorded in o to h.
func (h *Histogram) Merge(o *Histogram) {
	if o == nil || o.n == 0 {
		return
	}
	if h.counts == nil {
		h.counts = make([]uint64, numBuckets)
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	h.max = max(h.max, o.max)
	h.n += o.n
	h.sum += o.sum
}

// Count returns how many values were recorded.
func (h *Histogram) Count() uint64 { return h.n }

// Min returns the smallest value recorded, or 0 when empty.
func (h *Histogram) Min() int64 { return h.min }

// Max returns the largest value recorded, or 0 when empty.
func (h *Histogram) Max() int64 { return h.max }

// Mean returns the arithmetic mean of the values recorded, or 0 when empty.
func (h *Histogram) Mean() float64 {
	if h.n == 0 {
		return 0
	}
	return h.sum / float64(h.n)
}

// Percentile returns the value below or at which p percent of the recorded
// values lie (0 ≤ p ≤ 100), within the bucket precision: the midpoint of
// the bucket holding the value of that rank, clamped to [Min, Max].
// Percentile(0) is Min and Percentile(100) is Max; an empty histogram
// returns 0.
func (h *Histogram) Percentile(p float64) int64 {
	if h.n == 0 {
		return 0
	}
	if p <= 0 || math.IsNaN(p) {
		return h.min
	}
	if p >= 100 {
		return h.max
	}
	// The value of rank ceil(p% of n), counting from 1.
	rank := uint64(math.Ceil(p / 100 * float64(h.n)))
	rank = max(rank, 1)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			lo, hi := bounds(i)
			mid := lo + (hi-lo)/2
			return min(max(mid, h.min), h.max)
		}
	}
	return h.max
}

// PercentileDuration is Percentile as a time.Duration.
func (h *Histogram) PercentileDuration(p float64) time.Duration {
	return time.Duration(h.Percentile(p))
}

// Reset empties the histogram, keeping its buckets allocated.
func (h *Histogram) Reset() {
	clear(h.counts)
	h.n, h.sum, h.min, h.max = 0, 0, 0, 0
}
