package main

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/tachyon-ipc/tachyon-go/internal/bench"
)

// tableHeader names the columns; numeric ones are right-aligned.
var tableHeader = []string{"transport", "scenario", "payload", "p50", "p99", "p99.9", "max",
	"throughput", "msg/s", "allocs", "vs unix", "vs floor", "spread"}

// firstNumericColumn is the first right-aligned column of the table.
const firstNumericColumn = 2

const dash = "–"

// cells returns a row's table cells.
func (r *row) cells() []string {
	c := []string{r.s.Transport, r.s.Name, bench.FormatSize(r.size)}
	if r.ok == 0 {
		return append(c, "failed", "", "", "", "", "", "", "", "", "")
	}
	if r.hist != nil && r.hist.Count() > 0 {
		h := r.hist
		c = append(c, fmtNs(float64(h.Percentile(50))), fmtNs(float64(h.Percentile(99))),
			fmtNs(float64(h.Percentile(99.9))), fmtNs(float64(h.Max())))
	} else {
		c = append(c, dash, dash, dash, dash)
	}
	if r.s.Kind == bench.Throughput {
		c = append(c, fmtBytesRate(r.bytesPerSec), fmtMsgRate(r.msgsPerSec))
	} else {
		c = append(c, dash, dash)
	}
	if r.hasAllocs {
		c = append(c, sig3(r.allocsPerMsg))
	} else {
		c = append(c, dash)
	}
	switch {
	case r.s.Key() == r.s.Baseline:
		c = append(c, "baseline")
	case r.vsUnix > 0:
		c = append(c, fmtVs(r.vsUnix))
	default:
		c = append(c, dash)
	}
	if r.vsFloor > 0 {
		c = append(c, fmtRatio(r.vsFloor))
	} else {
		c = append(c, dash)
	}
	if r.hasSpread() {
		c = append(c, fmtSpread(r.spread))
	} else {
		c = append(c, dash)
	}
	return c
}

// writeTable prints the header lines, the table and its legend.
func writeTable(w io.Writer, rep *report) error {
	var b strings.Builder
	e := rep.env
	fmt.Fprintf(&b, "tachyon-bench  %s  %s, %d CPUs (GOMAXPROCS %d), %s/%s, kernel %s, %s\n",
		e.Date.Format("2006-01-02 15:04 MST"), e.CPUModel, e.CPUs, e.GOMAXPROCS, e.OS, e.Arch, e.Kernel, e.Go)
	fmt.Fprintf(&b, "%d round(s) × %v per scenario, interleaved; spin: %s; GOGC: %s; pinning: %s; load average %.2f → %.2f\n\n",
		e.Rounds, e.Duration, e.Spin, e.GOGC, e.Pinning, e.LoadBefore, e.LoadAfter)
	grid := [][]string{tableHeader}
	for _, r := range rep.rows {
		grid = append(grid, r.cells())
	}
	writeGrid(&b, grid, firstNumericColumn)
	b.WriteString("\n")
	b.WriteString("p50…max: round trip seen by the sending process, percentiles of every round trip of every round.\n")
	b.WriteString("allocs: heap objects allocated per call in both processes over the measured phase (MemStats.Mallocs),\n")
	b.WriteString("        median over rounds; gRPC's unary rows.\n")
	b.WriteString("vs unix: how many times faster or slower than the Unix socket, same scenario and payload, said in\n")
	b.WriteString("         words (\"61× faster\", \"1.25× slower\"); round trips compare p50, streams throughput.\n")
	b.WriteString("vs floor: p50 / p50 of the cache-line floor, two processes bouncing one atomic word: 1.0× is this\n")
	b.WriteString("         machine's limit, so every row is 1.0× or more. floor wire-v4: a 32-byte frame through two\n")
	b.WriteString("         wire-v4 rings, bare loads and stores: the limit of any wire-v4 ring.\n")
	if med, worst := rep.stability(); worst != nil {
		fmt.Fprintf(&b, "spread: (max − min) / median of the per-round p50 or throughput. Run stability: median spread %s,\n"+
			"        worst %s (%s).\n", fmtSpread(med), fmtSpread(worst.spread), worst.label())
	}
	if e.busy() {
		fmt.Fprintf(&b, "note: the machine was busy (load average above its %d CPUs): other work shared the CPUs,\n"+
			"      so absolute figures and the floor are noisy; compare ratios within one run.\n", e.CPUs)
	}
	for _, r := range rep.rows {
		if r.errMsg != "" {
			fmt.Fprintf(&b, "error: %s failed %d of %d round(s): %s\n", r.label(), len(r.runs)-r.ok, len(r.runs), r.errMsg)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeGrid aligns cells in columns two spaces apart, each as wide as its
// widest cell in runes: columns before firstNumeric left-aligned (text),
// the rest right-aligned (numbers).
func writeGrid(b *strings.Builder, grid [][]string, firstNumeric int) {
	width := make([]int, len(grid[0]))
	for _, r := range grid {
		for i, c := range r {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	for _, r := range grid {
		var line strings.Builder
		for i, c := range r {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if i > 0 {
				line.WriteString("  ")
			}
			if i >= firstNumeric {
				line.WriteString(pad + c)
			} else {
				line.WriteString(c + pad)
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
}
