package hist

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// exactPercentile is the value of rank ceil(p% of n) in sorted samples: the
// reference a histogram is checked against.
func exactPercentile(sorted []int64, p float64) int64 {
	if p <= 0 {
		return sorted[0]
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[max(rank, 1)-1]
}

func TestEmpty(t *testing.T) {
	var h Histogram
	if h.Count() != 0 || h.Max() != 0 || h.Min() != 0 || h.Mean() != 0 || h.Percentile(50) != 0 {
		t.Fatalf("empty histogram not zero: %d %d %d %v %d", h.Count(), h.Max(), h.Min(), h.Mean(), h.Percentile(50))
	}
}

func TestSmallValuesExact(t *testing.T) {
	h := New()
	for v := range int64(exactLimit) {
		h.Record(v)
	}
	for v := range int64(exactLimit) {
		p := 100 * float64(v+1) / exactLimit
		if got := h.Percentile(p); got != v {
			t.Fatalf("Percentile(%v) = %d, want %d", p, got, v)
		}
	}
}

func TestBucketsCoverEveryValue(t *testing.T) {
	// Consecutive buckets tile the value range without gaps or overlaps.
	prevHi := int64(-1)
	for i := range numBuckets {
		lo, hi := bounds(i)
		if lo != prevHi+1 || hi < lo {
			t.Fatalf("bucket %d = [%d, %d] after %d", i, lo, hi, prevHi)
		}
		if index(lo) != i || index(hi) != i {
			t.Fatalf("bucket %d = [%d, %d] but index(lo)=%d index(hi)=%d", i, lo, hi, index(lo), index(hi))
		}
		if lo >= exactLimit && float64(hi-lo+1)/float64(lo) > 1.0/subBuckets {
			t.Fatalf("bucket %d = [%d, %d] wider than 1/%d", i, lo, hi, subBuckets)
		}
		prevHi = hi
	}
	if prevHi != MaxValue {
		t.Fatalf("top bucket ends at %d, MaxValue is %d", prevHi, MaxValue)
	}
}

func TestPercentilesWithinPrecision(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, dist := range []string{"uniform", "lognormal", "bimodal"} {
		t.Run(dist, func(t *testing.T) {
			h := New()
			samples := make([]int64, 100_000)
			for i := range samples {
				var v float64
				switch dist {
				case "uniform":
					v = r.Float64() * 1e6
				case "lognormal":
					v = math.Exp(r.NormFloat64()*1.5 + 7) // median ~1 µs, long tail
				case "bimodal":
					v = 300 + r.Float64()*50
					if r.IntN(100) == 0 {
						v = 2e6 + r.Float64()*1e6
					}
				}
				samples[i] = int64(v)
				h.Record(samples[i])
			}
			slices.Sort(samples)
			for _, p := range []float64{0, 1, 10, 50, 90, 99, 99.9, 99.99, 100} {
				want := exactPercentile(samples, p)
				got := h.Percentile(p)
				if diff := math.Abs(float64(got - want)); diff > 1 && diff/float64(want) > 0.01 {
					t.Errorf("p%v = %d, exact %d", p, got, want)
				}
			}
			if h.Max() != samples[len(samples)-1] || h.Min() != samples[0] {
				t.Errorf("min/max %d/%d, exact %d/%d", h.Min(), h.Max(), samples[0], samples[len(samples)-1])
			}
		})
	}
}

func TestMeanMinMaxCount(t *testing.T) {
	var h Histogram
	for _, v := range []int64{100, 200, 300, 1_000_000} {
		h.Record(v)
	}
	if h.Count() != 4 || h.Min() != 100 || h.Max() != 1_000_000 || h.Mean() != 250_150 {
		t.Fatalf("count %d min %d max %d mean %v", h.Count(), h.Min(), h.Max(), h.Mean())
	}
	// The median comes from the buckets, not the mean.
	if p := h.Percentile(50); p != 200 {
		t.Fatalf("p50 = %d, want 200", p)
	}
}

func TestOutOfRange(t *testing.T) {
	var h Histogram
	h.Record(-5)
	h.Record(MaxValue * 4)
	if h.Min() != 0 || h.Max() != MaxValue*4 {
		t.Fatalf("min %d max %d", h.Min(), h.Max())
	}
	if got := h.Percentile(100); got != MaxValue*4 {
		t.Fatalf("p100 = %d", got)
	}
	if got := h.Percentile(99); got < MaxValue/2 {
		t.Fatalf("p99 = %d, want the top bucket", got)
	}
}

func TestMerge(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	all, a, b := New(), New(), &Histogram{}
	for i := range 50_000 {
		v := int64(r.ExpFloat64() * 5000)
		all.Record(v)
		if i%3 == 0 {
			a.Record(v)
		} else {
			b.Record(v)
		}
	}
	var m Histogram
	m.Merge(a)
	m.Merge(b)
	m.Merge(nil)
	m.Merge(&Histogram{})
	if m.Count() != all.Count() || m.Min() != all.Min() || m.Max() != all.Max() || math.Abs(m.Mean()-all.Mean()) > 1e-6 {
		t.Fatalf("merged %d/%d/%d/%v, direct %d/%d/%d/%v", m.Count(), m.Min(), m.Max(), m.Mean(),
			all.Count(), all.Min(), all.Max(), all.Mean())
	}
	for _, p := range []float64{1, 50, 99, 99.9} {
		if m.Percentile(p) != all.Percentile(p) {
			t.Fatalf("p%v: merged %d, direct %d", p, m.Percentile(p), all.Percentile(p))
		}
	}
}

func TestReset(t *testing.T) {
	h := New()
	h.Record(1234)
	h.Reset()
	h.Record(7)
	if h.Count() != 1 || h.Min() != 7 || h.Max() != 7 || h.Percentile(50) != 7 {
		t.Fatalf("after reset: %d %d %d", h.Count(), h.Min(), h.Max())
	}
}

func TestRecordDoesNotAllocate(t *testing.T) {
	h := New()
	allocs := testing.AllocsPerRun(1000, func() { h.Record(12345) })
	if allocs != 0 {
		t.Fatalf("Record allocates %v times", allocs)
	}
}

func BenchmarkRecord(b *testing.B) {
	h := New()
	for i := range b.N {
		h.Record(int64(i & 0xfffff))
	}
}

func Example() {
	h := New()
	for i := 1; i <= 1000; i++ {
		h.RecordDuration(time.Duration(i) * time.Microsecond)
	}
	fmt.Println("count:", h.Count()) // percentiles are within 0.4 % of the exact values
	fmt.Println("p50:  ", h.PercentileDuration(50).Round(time.Microsecond))
	fmt.Println("p99:  ", h.PercentileDuration(99).Round(time.Microsecond))
	fmt.Println("max:  ", time.Duration(h.Max()))
	fmt.Println("mean: ", time.Duration(h.Mean()))
	// Output:
	// count: 1000
	// p50:   501µs
	// p99:   989µs
	// max:   1ms
	// mean:  500.5µs
}
