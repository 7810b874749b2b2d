package main

import (
	"fmt"
	"html"
	"math"
	"os"
	"strings"

	"github.com/tachyon-ipc/tachyon-go/internal/bench"
	"github.com/tachyon-ipc/tachyon-go/internal/hist"
)

// The -svg plot: round-trip latency against percentile, one line per
// latency row, both axes logarithmic. The x axis counts nines (0 %, 90 %,
// 99 %, 99.9 % …) as HdrHistogram plots do, so the tail gets as much room as
// the median.

// Plot geometry in pixels.
const (
	svgW, svgH   = 1080, 560
	plotL, plotR = 80, 700 // plot area; the legend sits right of it
	plotT, plotB = 70, 500
	xStep        = 0.02 // nines between plotted points
	maxNines     = 5
)

var palette = []string{"#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
	"#17becf", "#bcbd22", "#393b79", "#637939", "#843c39"}

// curve is one line of the plot.
type curve struct {
	label string
	h     *hist.Histogram
	nines float64 // how far right the samples reach
	color string
	dash  bool
}

func writeSVG(path string, rep *report) error {
	return os.WriteFile(path, []byte(renderSVG(rep)), 0o644)
}

// percentileAt returns the percentile x nines out: 100·(1 − 10^−x).
func percentileAt(x float64) float64 { return 100 * (1 - math.Pow(10, -x)) }

func renderSVG(rep *report) string {
	var curves []curve
	for _, r := range rep.rows {
		if r.s.Kind != bench.Latency || r.hist == nil || r.hist.Count() == 0 {
			continue
		}
		c := curve{
			label: fmt.Sprintf("%s %s %s · p50 %s", r.s.Transport, r.s.Name, bench.FormatSize(r.size),
				fmtNs(float64(r.hist.Percentile(50)))),
			h:     r.hist,
			nines: min(math.Log10(float64(r.hist.Count())), maxNines),
			color: palette[len(curves)%len(palette)],
			dash:  r.s.Transport == "floor", // both probes; the yardstick in grey
		}
		if r.s.Key() == floorKey {
			c.color = "#555555"
		}
		curves = append(curves, c)
	}
	xMax := 1.0
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, c := range curves {
		xMax = max(xMax, math.Floor(c.nines))
		lo = min(lo, float64(max(c.h.Min(), 1)))
		hi = max(hi, float64(c.h.Percentile(percentileAt(c.nines))))
	}
	if len(curves) == 0 {
		lo, hi = 100, 1e6
	}
	yLo, yHi := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	if yHi <= yLo {
		yHi = yLo + 1
	}
	px := func(x float64) float64 { return plotL + (plotR-plotL)*x/xMax }
	py := func(ns float64) float64 {
		return plotB - (plotB-plotT)*(math.Log10(max(ns, 1))-yLo)/(yHi-yLo)
	}

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="Helvetica, Arial, sans-serif" font-size="12">`+"\n",
		svgW, svgH, svgW, svgH)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#ffffff"/>`+"\n", svgW, svgH)
	e := rep.env
	fmt.Fprintf(&b, `<text x="%d" y="28" font-size="18" font-weight="bold">Round-trip latency by percentile (lower is better)</text>`+"\n", plotL)
	fmt.Fprintf(&b, `<text x="%d" y="48" fill="#444">%s</text>`+"\n", plotL, html.EscapeString(fmt.Sprintf(
		"tachyon-bench %s · %s, %d CPUs · %d round(s) × %v · two processes · log scales",
		e.Date.Format("2006-01-02"), e.CPUModel, e.CPUs, e.Rounds, e.Duration)))

	// Grid: decades of latency (with 2× and 5× minor lines), nines of
	// percentile.
	for d := yLo; d <= yHi; d++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, d)
			if math.Log10(v) > yHi+1e-9 {
				break
			}
			y := py(v)
			color, width := "#e6e6e6", 1
			if m == 1 {
				color = "#bdbdbd"
				fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" dominant-baseline="middle">%s</text>`+"\n",
					plotL-8, y, html.EscapeString(decadeLabel(d)))
			}
			fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="%s" stroke-width="%d"/>`+"\n",
				plotL, y, plotR, y, color, width)
		}
	}
	for x := 0.0; x <= xMax+1e-9; x++ {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#bdbdbd"/>`+"\n", px(x), plotT, px(x), plotB)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", px(x), plotB+18, ninesLabel(int(x)))
	}
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#333"/>`+"\n",
		plotL, plotT, plotR-plotL, plotB-plotT)
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">percentile of round trips (a point at 99%% means 1 in 100 round trips took longer)</text>`+"\n",
		(plotL+plotR)/2, plotB+42)
	fmt.Fprintf(&b, `<text transform="translate(22 %d) rotate(-90)" text-anchor="middle">round trip</text>`+"\n", (plotT+plotB)/2)

	// Lines.
	for _, c := range curves {
		var path strings.Builder
		end := min(c.nines, xMax)
		for x := 0.0; ; x += xStep {
			x = min(x, end)
			cmd := "L"
			if path.Len() == 0 {
				cmd = "M"
			}
			fmt.Fprintf(&path, "%s%.1f %.1f ", cmd, px(x), py(float64(c.h.Percentile(percentileAt(x)))))
			if x >= end {
				break
			}
		}
		dash := ""
		if c.dash {
			dash = ` stroke-dasharray="6 4"`
		}
		fmt.Fprintf(&b, `<path d="%s" fill="none" stroke="%s" stroke-width="2"%s/>`+"\n", strings.TrimSpace(path.String()), c.color, dash)
	}

	// Legend, in table order.
	for i, c := range curves {
		y := plotT + 8 + 22*i
		dash := ""
		if c.dash {
			dash = ` stroke-dasharray="6 4"`
		}
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="3"%s/>`+"\n",
			plotR+16, y, plotR+40, y, c.color, dash)
		fmt.Fprintf(&b, `<text x="%d" y="%d" dominant-baseline="middle">%s</text>`+"\n", plotR+48, y, html.EscapeString(c.label))
	}
	if len(curves) == 0 {
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">no latency scenario ran</text>`+"\n", (plotL+plotR)/2, (plotT+plotB)/2)
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// decadeLabel names 10^d nanoseconds.
func decadeLabel(d float64) string {
	units := []string{"ns", "µs", "ms", "s"}
	k := int(d)
	if k < 0 {
		return fmt.Sprintf("1e%d ns", k)
	}
	u := min(k/3, len(units)-1)
	return fmt.Sprintf("%.0f %s", math.Pow(10, float64(k-3*u)), units[u])
}

// ninesLabel names the percentile n nines out: 0%, 90%, 99%, 99.9% …
func ninesLabel(n int) string {
	switch n {
	case 0:
		return "0%"
	case 1:
		return "90%"
	}
	return "99" + func() string {
		if n == 2 {
			return ""
		}
		return "." + strings.Repeat("9", n-2)
	}() + "%"
}
