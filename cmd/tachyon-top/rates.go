//go:build linux

package main

// rates are a segment's traffic per second between two scans.
type rates struct {
	Seconds   float64            `json:"seconds"`          // time between the scans
	HeadBytes float64            `json:"head_bytes_per_s"` // ring bytes published (headers, padding and wrap skips included)
	TailBytes float64            `json:"tail_bytes_per_s"` // ring bytes released
	Producer  *counters[float64] `json:"producer,omitempty"`
	Consumer  *counters[float64] `json:"consumer,omitempty"`
}

// addRates sets the rates of every segment of cur that prev also saw. A
// segment whose indices or counters went backwards is a new ring on a
// reused inode and gets none.
func addRates(prev, cur *snapshot) {
	if prev == nil {
		return
	}
	dt := cur.Time.Sub(prev.Time).Seconds()
	if dt <= 0 {
		return
	}
	old := make(map[fileID]*segment, len(prev.Segments))
	for i := range prev.Segments {
		old[prev.Segments[i].id()] = &prev.Segments[i]
	}
	for i := range cur.Segments {
		s := &cur.Segments[i]
		p := old[s.id()]
		if p == nil || p.Capacity != s.Capacity || s.Head < p.Head || s.Tail < p.Tail {
			continue
		}
		r := &rates{
			Seconds:   dt,
			HeadBytes: float64(s.Head-p.Head) / dt,
			TailBytes: float64(s.Tail-p.Tail) / dt,
		}
		var ok bool
		if r.Producer, ok = counterRates(p.Producer, s.Producer, dt); !ok {
			continue
		}
		if r.Consumer, ok = counterRates(p.Consumer, s.Consumer, dt); !ok {
			continue
		}
		s.Rates = r
	}
}

// counterRates returns the rates from a to b, nil if either is missing, and
// false if a counter went backwards.
func counterRates(a, b *counters[uint64], dt float64) (*counters[float64], bool) {
	if a == nil || b == nil {
		return nil, true
	}
	av, bv := a.values(), b.values()
	var r [len(counterNames)]float64
	for i := range r {
		if bv[i] < av[i] {
			return nil, false
		}
		r[i] = float64(bv[i]-av[i]) / dt
	}
	return countersOf(r), true
}
