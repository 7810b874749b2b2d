package main

import (
	"slices"

	"github.com/tachyon-ipc/tachyon-go/internal/bench"
	"github.com/tachyon-ipc/tachyon-go/internal/hist"
)

// floorKey is the scenario every latency is compared with.
const floorKey = "floor/cache-line"

// round is one measurement of a job in one round.
type round struct {
	res bench.Result
	err error
}

// row is a job's results over every round.
type row struct {
	job
	runs []round
	hist *hist.Histogram // every round trip of every round (latency rows)

	ok          int     // rounds that succeeded
	bytesPerSec float64 // median over rounds (throughput)
	msgsPerSec  float64
	perRound    []float64 // the figure whose spread is reported
	// allocsPerMsg is the median over rounds of heap allocations per call
	// in both processes; valid when hasAllocs (every good round counted).
	allocsPerMsg float64
	hasAllocs    bool

	spread  float64 // (max-min)/median of perRound; valid when hasSpread
	vsUnix  float64 // times faster than the baseline; 0 when none
	vsFloor float64 // p50 over the floor's p50; 0 when none
	errMsg  string  // first error, if any round failed
}

func (r *row) hasSpread() bool { return len(r.perRound) >= 2 }

// report is everything a run produced, rows in table order.
type report struct {
	env  *environment
	rows []*row
	cxx  *cxxDoc // the -cxx comparison; nil without -cxx
}

func (rep *report) failed() bool {
	for _, r := range rep.rows {
		if r.errMsg != "" {
			return true
		}
	}
	return false
}

// summarize merges the rounds of each job, orders the rows (latency before
// throughput, then by payload, then as registered) and computes spreads and
// ratios.
func summarize(jobs []job, runs [][]round, env *environment) *report {
	rep := &report{env: env}
	for i, j := range jobs {
		r := &row{job: j, runs: runs[i]}
		r.merge()
		rep.rows = append(rep.rows, r)
	}
	slices.SortStableFunc(rep.rows, func(a, b *row) int {
		if a.s.Kind != b.s.Kind {
			return int(a.s.Kind) - int(b.s.Kind)
		}
		return a.size - b.size
	})
	rep.ratios()
	return rep
}

func (r *row) merge() {
	var bps, mps, allocs []float64
	for _, x := range r.runs {
		if x.err != nil {
			if r.errMsg == "" {
				r.errMsg = x.err.Error()
			}
			continue
		}
		r.ok++
		if h := x.res.Hist; h != nil {
			if r.hist == nil {
				r.hist = hist.New()
			}
			r.hist.Merge(h)
			if r.s.Kind == bench.Latency {
				r.perRound = append(r.perRound, float64(h.Percentile(50)))
			}
		}
		bps = append(bps, x.res.BytesPerSec())
		mps = append(mps, x.res.MsgsPerSec())
		if x.res.AllocsMeasured && x.res.Msgs > 0 {
			allocs = append(allocs, float64(x.res.Allocs)/float64(x.res.Msgs))
		}
	}
	r.bytesPerSec, r.msgsPerSec = median(bps), median(mps)
	if r.hasAllocs = r.ok > 0 && len(allocs) == r.ok; r.hasAllocs {
		r.allocsPerMsg = median(allocs)
	}
	if r.s.Kind == bench.Throughput {
		r.perRound = bps
	}
	if r.hasSpread() {
		lo, hi := slices.Min(r.perRound), slices.Max(r.perRound)
		if m := median(r.perRound); m > 0 {
			r.spread = (hi - lo) / m
		}
	}
}

// p50 is the merged median round trip, or 0.
func (r *row) p50() float64 {
	if r.hist == nil {
		return 0
	}
	return float64(r.hist.Percentile(50))
}

func (rep *report) ratios() {
	var floor *row
	for _, r := range rep.rows {
		if r.s.Key() == floorKey && r.p50() > 0 {
			floor = r
		}
	}
	for _, r := range rep.rows {
		if r.ok == 0 {
			continue
		}
		if b := rep.find(r.s.Baseline, r.size); b != nil && b.ok > 0 {
			switch r.s.Kind {
			case bench.Latency:
				if r.p50() > 0 {
					r.vsUnix = b.p50() / r.p50()
				}
			case bench.Throughput:
				if b.bytesPerSec > 0 {
					r.vsUnix = r.bytesPerSec / b.bytesPerSec
				}
			}
		}
		if floor != nil && r.s.Kind == bench.Latency {
			r.vsFloor = r.p50() / floor.p50()
		}
	}
}

func (rep *report) find(key string, size int) *row {
	for _, r := range rep.rows {
		if r.s.Key() == key && r.size == size {
			return r
		}
	}
	return nil
}

// stability returns the median spread over the rows that have one, and the
// row with the largest.
func (rep *report) stability() (med float64, worst *row) {
	var all []float64
	for _, r := range rep.rows {
		if !r.hasSpread() {
			continue
		}
		all = append(all, r.spread)
		if worst == nil || r.spread > worst.spread {
			worst = r
		}
	}
	return median(all), worst
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(v))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
