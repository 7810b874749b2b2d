package main

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/tachyon-ipc/tachyon-go/internal/bench"
)

// The -cxx comparison: rows with Tachyon's C++ core on one or both sides
// (bench.CxxScenarios), run beside the Go↔Go rows they are compared with,
// and a summary of per-round medians relative to C++↔C++.

// cxxConfig is what the -cxx flags asked for.
type cxxConfig struct {
	on   bool
	peer bench.CxxPeer
	// ready is set once the peer was found; without it the C++ rows are
	// skipped.
	ready bool
}

func addCxxFlags(fs *flag.FlagSet, c *cxxConfig) {
	fs.BoolVar(&c.on, "cxx", false, "compare with Tachyon's C++ core: C++↔C++, Go↔C++ both ways and Go↔Go rows (needs the peer of internal/cxxpeer)")
	fs.StringVar(&c.peer.Path, "cxxpeer", bench.DefaultCxxPeerPath(), "the C++ peer binary built by internal/cxxpeer/build.sh")
	fs.IntVar(&c.peer.Spin, "cxx-spin", 10000, "C++ receivers' spin_threshold (pauses) before they park on the futex")
}

// cxxGoRows are the Go↔Go rows the comparison sets beside the C++ ones,
// with the payload sizes compared, and the Unix socket's rows of the same
// scenarios, so that every figure of a -cxx run has its baseline from the
// same run.
var cxxGoRows = map[string][]int{
	"floor/cache-line":  {8},
	"shm-raw/ping-pong": {32},
	"shm-raw/one-way":   {32, 1 << 10},
	// The receiver with a low-water mark (shmring.Consumer.SetLowWater).
	"shm-raw/one-way-lowwater": {1 << 10},
	"unix/echo":                {32},
	"unix/io.Copy":             {32, 1 << 10},
}

// scenarios returns what plan chooses from under -cxx: the registered
// scenarios plus, if the peer is built, the C++ ones. Without -only it
// selects just the comparison. A missing peer costs one line on stderr.
func (c *cxxConfig) scenarios(all []bench.Scenario, cfg *config, stderr io.Writer) []bench.Scenario {
	if !c.on {
		return all
	}
	if err := c.peer.Check(); err != nil {
		fmt.Fprintf(stderr, "tachyon-bench: C++ rows skipped: no peer at %s; %s\n", c.peer.Path, bench.CxxBuildHint)
	} else {
		c.ready = true
		all = append(all, bench.CxxScenarios(c.peer)...)
	}
	if len(cfg.only) > 0 {
		return all
	}
	var picked []bench.Scenario
	for _, s := range all {
		if sizes, ok := cxxGoRows[s.Key()]; ok {
			s.Sizes = sizes
			picked = append(picked, s)
		} else if isCxx(s) {
			picked = append(picked, s)
		}
	}
	// The rows compared with each other run one after the other in each
	// round (every ping-pong, then every stream), seconds apart rather than
	// the length of a round: cxxComparison divides within rounds.
	slices.SortStableFunc(picked, func(a, b bench.Scenario) int {
		return strings.Compare(strings.TrimSuffix(b.Name, "-lowwater"), strings.TrimSuffix(a.Name, "-lowwater"))
	})
	return picked
}

func isCxx(s bench.Scenario) bool {
	return s.Transport == bench.TransportCxxCxx || s.Transport == bench.TransportGoCxx || s.Transport == bench.TransportCxxGo
}

// cxxPairs are the comparison's rows in order: pair label, transport.
var cxxPairs = [][2]string{
	{"C++ ↔ C++", bench.TransportCxxCxx},
	{"Go → C++", bench.TransportGoCxx},
	{"C++ → Go", bench.TransportCxxGo},
	{"Go ↔ Go", "shm-raw"},
}

// cxxLowWaterPair is the extra Go ↔ Go row of the 1 KiB stream: the
// receiver with a low-water mark.
var cxxLowWaterPair = [2]string{"Go ↔ Go, low water", "shm-raw"}

// cxxLine is one row of the comparison: medians over rounds, and the
// medians of the per-round ratios to C++↔C++ (Go↔Go's target: p50 ≤ 1.2×,
// p99 ≤ 2×, throughput ≥ 1×).
type cxxLine struct {
	Pair        string  `json:"pair"`
	Scenario    string  `json:"scenario"`
	Size        int     `json:"size"`
	Rounds      int     `json:"rounds"`
	P50Ns       float64 `json:"p50_ns,omitempty"` // median of the per-round p50s
	P99Ns       float64 `json:"p99_ns,omitempty"`
	BytesPerSec float64 `json:"bytes_per_sec,omitempty"`
	P50Ratio    float64 `json:"p50_vs_cxx,omitempty"` // median over rounds of p50 / C++↔C++ p50
	P99Ratio    float64 `json:"p99_vs_cxx,omitempty"`
	TputRatio   float64 `json:"throughput_vs_cxx,omitempty"` // median over rounds of throughput / C++↔C++'s
}

// cxxRound is one round's figures of one comparison row; ok is false when
// the round failed.
type cxxRound struct {
	ok            bool
	p50, p99, bps float64
}

func cxxRounds(r *row) []cxxRound {
	out := make([]cxxRound, len(r.runs))
	for i, x := range r.runs {
		if x.err != nil {
			continue
		}
		out[i] = cxxRound{ok: true, bps: x.res.BytesPerSec()}
		if h := x.res.Hist; h != nil {
			out[i].p50, out[i].p99 = float64(h.Percentile(50)), float64(h.Percentile(99))
		}
	}
	return out
}

// cxxComparison computes the comparison lines from the report's rows. A
// ratio is taken within each round, between rows that ran seconds apart,
// and its median over rounds reported: this VM switches between a fast and
// a slow state for minutes at a time, and a ratio of medians would compare
// a row's fast rounds with another's slow ones.
func cxxComparison(rep *report) []cxxLine {
	var lines []cxxLine
	for _, sc := range []struct {
		name string
		size int
	}{{"ping-pong", 32}, {"one-way", 32}, {"one-way", 1 << 10}} {
		var base []cxxRound
		pairs := cxxPairs
		if sc.name == "one-way" && sc.size == 1<<10 {
			pairs = append(pairs[:len(pairs):len(pairs)], cxxLowWaterPair)
		}
		for _, pair := range pairs {
			name := sc.name
			if pair == cxxLowWaterPair {
				name += "-lowwater"
			}
			r := rep.find(pair[1]+"/"+name, sc.size)
			if r == nil || r.ok == 0 {
				continue
			}
			l := cxxLine{Pair: pair[0], Scenario: sc.name, Size: sc.size, Rounds: r.ok, BytesPerSec: r.bytesPerSec}
			rounds := cxxRounds(r)
			if pair[1] == bench.TransportCxxCxx {
				base = rounds
			}
			var p50, p99, p50r, p99r, bpsr []float64
			for i, x := range rounds {
				if !x.ok {
					continue
				}
				if x.p50 > 0 {
					p50, p99 = append(p50, x.p50), append(p99, x.p99)
				}
				if i < len(base) && base[i].ok {
					p50r = appendRatio(p50r, x.p50, base[i].p50)
					p99r = appendRatio(p99r, x.p99, base[i].p99)
					bpsr = appendRatio(bpsr, x.bps, base[i].bps)
				}
			}
			l.P50Ns, l.P99Ns = median(p50), median(p99)
			l.P50Ratio, l.P99Ratio, l.TputRatio = median(p50r), median(p99r), median(bpsr)
			lines = append(lines, l)
		}
	}
	return lines
}

// appendRatio appends a/b when both are known.
func appendRatio(rs []float64, a, b float64) []float64 {
	if x := ratio(a, b); x > 0 {
		return append(rs, x)
	}
	return rs
}

func ratio(a, b float64) float64 {
	if a <= 0 || b <= 0 {
		return 0
	}
	return a / b
}

// writeCxxTable prints the comparison below the main table.
func writeCxxTable(w io.Writer, c *cxxConfig, rep *report) error {
	if !c.on {
		return nil
	}
	if !c.ready {
		return nil // scenarios said so on stderr, in one line
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\nBeside Tachyon's C++ core (Tachyon %s; C++ spin_threshold %d; medians of per-round figures, and of per-round ratios):\n\n",
		c.peer.TachyonCommit(), c.peer.Spin)
	grid := [][]string{{"pair", "scenario", "payload", "rounds", "p50", "p99", "throughput", "p50 vs C++", "p99 vs C++", "tput vs C++"}}
	for _, l := range cxxComparison(rep) {
		row := []string{l.Pair, l.Scenario, bench.FormatSize(l.Size), fmt.Sprint(l.Rounds)}
		if l.Scenario == "ping-pong" {
			row = append(row, fmtNs(l.P50Ns), fmtNs(l.P99Ns), dash, fmtRatioOr(l.P50Ratio), fmtRatioOr(l.P99Ratio), dash)
		} else {
			row = append(row, dash, dash, fmtBytesRate(l.BytesPerSec), dash, dash, fmtRatioOr(l.TputRatio))
		}
		grid = append(grid, row)
	}
	writeGrid(&b, grid, firstNumericColumn)
	b.WriteString("Go ↔ Go is shm-raw; \"low water\": its receiver waits for 64 KiB of frames before it reads (shmring.Consumer.SetLowWater).\n")
	b.WriteString("Targets (issue 17): ping-pong p50 ≤ 1.2× and p99 ≤ 2× C++ ↔ C++, one-way 1 KiB ≥ 1.0×.\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// fmtRatioOr prints a ratio with two decimals (the targets are 1.2× and
// 2×), or a dash.
func fmtRatioOr(x float64) string {
	if x <= 0 {
		return dash
	}
	return fmt.Sprintf("%.2f×", x)
}

// cxxJSON is the comparison in the -json document, nil without -cxx.
func cxxJSON(c *cxxConfig, rep *report) *cxxDoc {
	if !c.on {
		return nil
	}
	d := &cxxDoc{Peer: c.peer.Path, Skipped: !c.ready, Spin: c.peer.Spin}
	if c.ready {
		d.TachyonCommit = c.peer.TachyonCommit()
		d.Lines = cxxComparison(rep)
	}
	return d
}

// cxxDoc is the -json form of the comparison.
type cxxDoc struct {
	Peer          string    `json:"peer"`
	Skipped       bool      `json:"skipped,omitempty"`
	TachyonCommit string    `json:"tachyon_commit,omitempty"`
	Spin          int       `json:"cxx_spin_threshold"`
	Lines         []cxxLine `json:"lines,omitempty"`
}
