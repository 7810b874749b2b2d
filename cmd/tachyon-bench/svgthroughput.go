package main

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/tachyon-ipc/tachyon-go/internal/bench"
)

// The throughput panel: one-way throughput (median round) against payload
// size, one line per throughput scenario (transport and name) through its
// payload sizes, both axes logarithmic.

func throughputPanel(rep *report) *panel {
	p := &panel{
		left:   throughputL,
		title:  "One-way throughput by payload size (higher is better)",
		xTitle: "payload per write or frame",
		yTitle: "throughput (median round)",
		empty:  "no throughput scenario ran",
	}
	type line struct {
		r    *row // the first row of the scenario, for its names
		rows []*row
	}
	var lines []*line
	var sizes []int
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range rep.rows {
		if r.s.Kind != bench.Throughput || r.ok == 0 || r.bytesPerSec <= 0 {
			continue
		}
		i := slices.IndexFunc(lines, func(l *line) bool { return l.r.s.Key() == r.s.Key() })
		if i < 0 {
			lines = append(lines, &line{r: r})
			i = len(lines) - 1
		}
		lines[i].rows = append(lines[i].rows, r)
		if !slices.Contains(sizes, r.size) {
			sizes = append(sizes, r.size)
		}
		lo, hi = min(lo, r.bytesPerSec), max(hi, r.bytesPerSec)
	}
	if len(lines) == 0 {
		return p
	}
	slices.Sort(sizes)
	dLo, dHi := decadeRange(lo, hi)
	// One doubling of margin either side of the smallest and largest size.
	x := logAxis{lo: math.Log2(float64(sizes[0])) - 1, hi: math.Log2(float64(sizes[len(sizes)-1])) + 1,
		base: 2, p0: throughputL, p1: throughputL + panelW}
	y := logAxis{lo: dLo, hi: dHi, base: 10, p0: panelT + panelH, p1: panelT}
	p.grid = func(b *strings.Builder) {
		yGrid(b, throughputL, y, func(d int) string { return decadeLabel(d, rateUnits) })
		for _, size := range sizes {
			xTick(b, x.pos(float64(size)), bench.FormatSize(size))
		}
	}
	for _, l := range lines {
		rows := slices.SortedFunc(slices.Values(l.rows), func(a, b *row) int { return a.size - b.size })
		best := slices.MaxFunc(rows, func(a, b *row) int { return cmp.Compare(a.bytesPerSec, b.bytesPerSec) })
		s := series{
			class: "throughput",
			label: fmt.Sprintf("%s %s · up to %s (%s)", l.r.s.Transport, l.r.s.Name,
				fmtBytesRate(best.bytesPerSec), bench.FormatSize(best.size)),
			color: transportColor(l.r.s.Transport),
			dash:  scenarioDash(l.r.s.Transport, l.r.s.Name),
			marks: true,
		}
		for _, r := range rows {
			s.pts = append(s.pts, [2]float64{x.pos(float64(r.size)), y.pos(r.bytesPerSec)})
		}
		p.series = append(p.series, s)
	}
	return p
}
