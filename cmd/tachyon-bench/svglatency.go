package main

import (
	"fmt"
	"math"
	"strings"

	"github.com/tachyon-ipc/tachyon-go/internal/bench"
)

// The latency panel: round-trip latency against percentile, one line per
// latency row, both axes logarithmic. The x axis counts nines (0 %, 90 %,
// 99 %, 99.9 % …) as HdrHistogram plots do, so the tail gets as much room as
// the median.

const (
	xStep    = 0.02 // nines between plotted points
	maxNines = 5
)

// percentileAt returns the percentile x nines out: 100·(1 − 10^−x).
func percentileAt(x float64) float64 { return 100 * (1 - math.Pow(10, -x)) }

func latencyPanel(rep *report) *panel {
	p := &panel{
		left:   latencyL,
		title:  "Round-trip latency by percentile (lower is better)",
		xTitle: "percentile of round trips (at 99%, 1 in 100 took longer)",
		yTitle: "round trip",
		empty:  "no latency scenario ran",
	}
	var rows []*row
	xMax := 1.0
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range rep.rows {
		if r.s.Kind != bench.Latency || r.hist == nil || r.hist.Count() == 0 {
			continue
		}
		rows = append(rows, r)
		nines := ninesOf(r)
		xMax = max(xMax, math.Floor(nines))
		lo = min(lo, float64(max(r.hist.Min(), 1)))
		hi = max(hi, float64(r.hist.Percentile(percentileAt(nines))))
	}
	if len(rows) == 0 {
		return p
	}
	dLo, dHi := decadeRange(lo, hi)
	x := logFreeAxis{p0: latencyL, p1: latencyL + panelW, max: xMax}
	y := logAxis{lo: dLo, hi: dHi, base: 10, p0: panelT + panelH, p1: panelT}
	p.grid = func(b *strings.Builder) {
		yGrid(b, latencyL, y, func(d int) string { return decadeLabel(d, nsUnits) })
		for n := 0.0; n <= xMax+1e-9; n++ {
			xTick(b, x.pos(n), ninesLabel(int(n)))
		}
	}
	for _, r := range rows {
		s := series{
			class: "latency",
			label: fmt.Sprintf("%s %s %s · p50 %s", r.s.Transport, r.s.Name, bench.FormatSize(r.size), fmtNs(r.p50())),
			color: transportColor(r.s.Transport),
			dash:  scenarioDash(r.s.Transport, r.s.Name),
		}
		end := min(ninesOf(r), xMax)
		for n := 0.0; ; n += xStep {
			n = min(n, end)
			s.pts = append(s.pts, [2]float64{x.pos(n), y.pos(float64(r.hist.Percentile(percentileAt(n))))})
			if n >= end {
				break
			}
		}
		p.series = append(p.series, s)
	}
	return p
}

// ninesOf is how far right a row's samples reach: log10 of its count.
func ninesOf(r *row) float64 { return min(math.Log10(float64(r.hist.Count())), maxNines) }

// logFreeAxis is the nines axis: already logarithmic in its unit, so
// linear in pixels, from 0 to max.
type logFreeAxis struct {
	p0, p1, max float64
}

func (a logFreeAxis) pos(n float64) float64 { return a.p0 + (a.p1-a.p0)*n/a.max }

// ninesLabel names the percentile n nines out: 0%, 90%, 99%, 99.9% …
func ninesLabel(n int) string {
	switch n {
	case 0:
		return "0%"
	case 1:
		return "90%"
	case 2:
		return "99%"
	}
	return "99." + strings.Repeat("9", n-2) + "%"
}
