package main

import (
	"fmt"
	"strconv"
)

// Number formats shared by the table and the plot.

// fmtNs writes a latency with three significant digits and a unit.
func fmtNs(ns float64) string {
	switch {
	case ns < 1e3:
		return strconv.FormatFloat(ns, 'f', 0, 64) + " ns"
	case ns < 1e6:
		return sig3(ns/1e3) + " µs"
	case ns < 1e9:
		return sig3(ns/1e6) + " ms"
	}
	return sig3(ns/1e9) + " s"
}

// fmtBytesRate writes bytes per second in decimal units.
func fmtBytesRate(bps float64) string {
	switch {
	case bps >= 1e9:
		return sig3(bps/1e9) + " GB/s"
	case bps >= 1e6:
		return sig3(bps/1e6) + " MB/s"
	}
	return sig3(bps/1e3) + " kB/s"
}

// fmtMsgRate writes messages per second.
func fmtMsgRate(mps float64) string {
	switch {
	case mps >= 1e6:
		return sig3(mps/1e6) + " M/s"
	case mps >= 1e3:
		return sig3(mps/1e3) + " k/s"
	}
	return sig3(mps) + " /s"
}

// fmtRatio writes a ratio as "12×" or "1.3×".
func fmtRatio(x float64) string {
	if x >= 10 {
		return strconv.FormatFloat(x, 'f', 0, 64) + "×"
	}
	if x >= 0.1 {
		return strconv.FormatFloat(x, 'f', 1, 64) + "×"
	}
	return strconv.FormatFloat(x, 'f', 2, 64) + "×"
}

// fmtVs writes x, a "times faster" ratio, so that it cannot be misread:
// "61× faster" when x ≥ 1, "1.25× slower" (1/x) below, two decimals under
// 2×, and "1.00× (same)" when the two differ by under half a percent.
func fmtVs(x float64) string {
	word, r := "faster", x
	if x < 1 {
		word, r = "slower", 1/x
	}
	switch {
	case r < 1.005:
		return "1.00× (same)"
	case r < 2:
		return strconv.FormatFloat(r, 'f', 2, 64) + "× " + word
	}
	return fmtRatio(r) + " " + word
}

// fmtSpread writes a relative spread as "±4%"-style half-range.
func fmtSpread(s float64) string { return fmt.Sprintf("%.0f%%", 100*s) }

// sig3 writes x ≥ 0 with three significant digits.
func sig3(x float64) string {
	switch {
	case x >= 100:
		return strconv.FormatFloat(x, 'f', 0, 64)
	case x >= 10:
		return strconv.FormatFloat(x, 'f', 1, 64)
	}
	return strconv.FormatFloat(x, 'f', 2, 64)
}
