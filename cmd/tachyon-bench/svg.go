package main

import (
	"fmt"
	"html"
	"math"
	"os"
	"strings"
)

// The -svg plot: two panels side by side, each with its legend below it.
// Left, round-trip latency against percentile (svglatency.go); right,
// throughput against payload size (svgthroughput.go). Every row keeps its
// transport's colour and its scenario's dash pattern (style.go) in both
// panels and in every run.

// Plot geometry in pixels.
const (
	svgW           = 1400
	panelW, panelH = 560, 400 // plot area of one panel
	latencyL       = 80       // left edge of the latency plot area
	throughputL    = 780      // left edge of the throughput plot area
	panelT         = 90       // top of both plot areas
	legendGap      = 62       // from the plot's bottom to the first legend line
	legendLine     = 20       // legend line height
)

// series is one line of a panel and its legend entry.
type series struct {
	class string // "latency" or "throughput": the panel, for tests and styling
	label string
	color string
	dash  string       // stroke-dasharray; "" for solid
	pts   [][2]float64 // plot coordinates in pixels
	marks bool         // draw a dot at each point
}

// logAxis maps a value to a pixel on a logarithmic axis: exponents [lo, hi]
// of base onto pixels [p0, p1].
type logAxis struct {
	lo, hi float64 // exponents
	base   float64
	p0, p1 float64
}

func (a logAxis) pos(v float64) float64 {
	e := math.Log(max(v, 1e-300)) / math.Log(a.base)
	return a.p0 + (a.p1-a.p0)*(e-a.lo)/(a.hi-a.lo)
}

// decadeRange returns whole decades of 10 covering [lo, hi], at least one.
func decadeRange(lo, hi float64) (float64, float64) {
	dLo, dHi := math.Floor(math.Log10(max(lo, 1))), math.Ceil(math.Log10(max(hi, 1)))
	if dHi <= dLo {
		dHi = dLo + 1
	}
	return dLo, dHi
}

func writeSVG(path string, rep *report) error {
	return os.WriteFile(path, []byte(renderSVG(rep)), 0o644)
}

func renderSVG(rep *report) string {
	lat := latencyPanel(rep)
	thr := throughputPanel(rep)
	entries := max(len(lat.series), len(thr.series), 1)
	h := panelT + panelH + legendGap + legendLine*entries + 10

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="Helvetica, Arial, sans-serif" font-size="12">`+"\n",
		svgW, h, svgW, h)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#ffffff"/>`+"\n", svgW, h)
	e := rep.env
	fmt.Fprintf(&b, `<text x="%d" y="28" font-size="18" font-weight="bold">tachyon-bench: shared memory against a Unix socket, TCP and the cache-line floor</text>`+"\n", latencyL)
	fmt.Fprintf(&b, `<text x="%d" y="48" fill="#444">%s</text>`+"\n", latencyL, html.EscapeString(fmt.Sprintf(
		"%s · %s, %d CPUs · %d round(s) × %v · two processes · log scales · one colour per transport, in every plot",
		e.Date.Format("2006-01-02 15:04 MST"), e.CPUModel, e.CPUs, e.Rounds, e.Duration)))
	lat.render(&b)
	thr.render(&b)
	b.WriteString("</svg>\n")
	return b.String()
}

// panel is one plot with its axes, lines and legend.
type panel struct {
	left   int
	title  string
	xTitle string
	yTitle string
	empty  string                   // the text shown when no row fits the panel
	grid   func(b *strings.Builder) // axes' grid lines and tick labels
	series []series
}

func (p *panel) render(b *strings.Builder) {
	l, r, t, bot := p.left, p.left+panelW, panelT, panelT+panelH
	fmt.Fprintf(b, `<text x="%d" y="%d" font-size="15" font-weight="bold">%s</text>`+"\n", l, t-14, html.EscapeString(p.title))
	if len(p.series) == 0 {
		fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#333"/>`+"\n", l, t, panelW, panelH)
		fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle">%s</text>`+"\n", (l+r)/2, (t+bot)/2, html.EscapeString(p.empty))
		return
	}
	p.grid(b)
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#333"/>`+"\n", l, t, panelW, panelH)
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle">%s</text>`+"\n", (l+r)/2, bot+40, html.EscapeString(p.xTitle))
	fmt.Fprintf(b, `<text transform="translate(%d %d) rotate(-90)" text-anchor="middle">%s</text>`+"\n", l-70, (t+bot)/2, html.EscapeString(p.yTitle))
	for _, s := range p.series {
		dash := ""
		if s.dash != "" {
			dash = fmt.Sprintf(` stroke-dasharray="%s"`, s.dash)
		}
		var d strings.Builder
		for i, pt := range s.pts {
			cmd := "L"
			if i == 0 {
				cmd = "M"
			}
			fmt.Fprintf(&d, "%s%.1f %.1f ", cmd, pt[0], pt[1])
		}
		fmt.Fprintf(b, `<path class="%s" d="%s" fill="none" stroke="%s" stroke-width="2"%s/>`+"\n",
			s.class, strings.TrimSpace(d.String()), s.color, dash)
		if s.marks {
			for _, pt := range s.pts {
				fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"/>`+"\n", pt[0], pt[1], s.color)
			}
		}
	}
	// The legend, in table order, below the panel.
	for i, s := range p.series {
		y := bot + legendGap + legendLine*i
		dash := ""
		if s.dash != "" {
			dash = fmt.Sprintf(` stroke-dasharray="%s"`, s.dash)
		}
		fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="3"%s/>`+"\n", l, y, l+28, y, s.color, dash)
		fmt.Fprintf(b, `<text x="%d" y="%d" dominant-baseline="middle">%s</text>`+"\n", l+36, y, html.EscapeString(s.label))
	}
}

// yGrid draws the decades of a base-10 y axis (with 2× and 5× minor
// lines), labelled by name(decade).
func yGrid(b *strings.Builder, left int, ax logAxis, name func(d int) string) {
	for d := ax.lo; d <= ax.hi; d++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, d)
			if math.Log10(v) > ax.hi+1e-9 {
				break
			}
			y := ax.pos(v)
			color := "#e6e6e6"
			if m == 1 {
				color = "#bdbdbd"
				fmt.Fprintf(b, `<text x="%d" y="%.1f" text-anchor="end" dominant-baseline="middle">%s</text>`+"\n",
					left-8, y, html.EscapeString(name(int(d))))
			}
			fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="%s"/>`+"\n", left, y, left+panelW, y, color)
		}
	}
}

// xTick draws a vertical grid line at pixel x with its label.
func xTick(b *strings.Builder, x float64, label string) {
	fmt.Fprintf(b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#bdbdbd"/>`+"\n", x, panelT, x, panelT+panelH)
	fmt.Fprintf(b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", x, panelT+panelH+18, html.EscapeString(label))
}

// decadeLabel names 10^d of a quantity whose units step by 1000:
// decadeLabel(3, nsUnits) is "1 µs".
func decadeLabel(d int, units []string) string {
	if d < 0 {
		return fmt.Sprintf("1e%d %s", d, units[0])
	}
	u := min(d/3, len(units)-1)
	return fmt.Sprintf("%.0f %s", math.Pow(10, float64(d-3*u)), units[u])
}

var (
	nsUnits   = []string{"ns", "µs", "ms", "s"}
	rateUnits = []string{"B/s", "kB/s", "MB/s", "GB/s", "TB/s"}
)
