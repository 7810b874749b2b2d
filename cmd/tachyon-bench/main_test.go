package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/internal/bench"
	"github.com/tachyon-ipc/tachyon-go/internal/peerproc"
)

func TestMain(m *testing.M) {
	peerproc.Run()
	os.Exit(m.Run())
}

// runBench runs the command in process; its peers are copies of the test
// binary (TestMain lets them play their roles).
func runBench(t *testing.T, args ...string) (stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out, errb bytes.Buffer
	if code := run(ctx, args, &out, &errb); code != exitOK {
		t.Fatalf("tachyon-bench %v exited %d\nstdout:\n%s\nstderr:\n%s", args, code, out.String(), errb.String())
	}
	return out.String(), errb.String()
}

// transports lists every registered transport: each must produce samples.
func transports() []string {
	var ts []string
	for _, s := range bench.Scenarios() {
		if !slices.Contains(ts, s.Transport) {
			ts = append(ts, s.Transport)
		}
	}
	return ts
}

func TestQuickTable(t *testing.T) {
	svg := filepath.Join(t.TempDir(), "plot.svg")
	out, _ := runBench(t, "-quick", "-svg", svg)
	lines := strings.Split(out, "\n")
	start := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "transport ") })
	if start < 0 {
		t.Fatalf("no table header in:\n%s", out)
	}
	header := strings.Fields(lines[start])
	if !slices.Equal(header, strings.Fields(strings.Join(tableHeader, " "))) {
		t.Fatalf("header %q", header)
	}
	rows := 0
	seen := map[string]bool{}
	for _, l := range lines[start+1:] {
		if l == "" {
			break
		}
		rows++
		f := strings.Fields(l)
		// Every cell is one word except values with units ("581 ns").
		if len(f) < len(tableHeader) || strings.Contains(l, "failed") {
			t.Errorf("bad row %q", l)
			continue
		}
		s, ok := bench.Lookup(f[0] + "/" + f[1])
		if !ok {
			t.Errorf("row names no scenario: %q", l)
			continue
		}
		switch s.Kind {
		case bench.Latency:
			if f[3] == dash || !strings.HasSuffix(f[4], "s") {
				t.Errorf("latency row without p50: %q", l)
			}
		case bench.Throughput:
			if !strings.Contains(l, "B/s") {
				t.Errorf("throughput row without throughput: %q", l)
			}
		}
		seen[f[0]] = true
	}
	if want := len(plan(bench.Scenarios(), &config{})); rows != want {
		t.Errorf("table has %d rows, want %d:\n%s", rows, want, out)
	}
	for _, tr := range transports() {
		if !seen[tr] {
			t.Errorf("transport %s produced no row", tr)
		}
	}
	if !strings.Contains(out, "Run stability: median spread") {
		t.Errorf("no stability line in:\n%s", out)
	}
	checkSVG(t, svg)
}

func checkSVG(t *testing.T, path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	paths := svgPaths(t, b)
	latency, throughput := 0, map[string]bool{}
	for _, j := range plan(bench.Scenarios(), &config{}) {
		if j.s.Kind == bench.Latency {
			latency++
		} else {
			throughput[j.s.Key()] = true
		}
	}
	if paths["latency"] != latency {
		t.Errorf("SVG has %d latency lines, want one per latency row (%d)", paths["latency"], latency)
	}
	if paths["throughput"] != len(throughput) {
		t.Errorf("SVG has %d throughput lines, want one per throughput scenario (%d)", paths["throughput"], len(throughput))
	}
}

// svgPaths checks that b is well-formed XML and counts its paths by class.
func svgPaths(t *testing.T, b []byte) map[string]int {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	paths := map[string]int{}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return paths
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "path" {
			for _, a := range se.Attr {
				if a.Name.Local == "class" {
					paths[a.Value]++
				}
			}
		}
	}
}

func TestQuickJSON(t *testing.T) {
	out, _ := runBench(t, "-quick", "-json")
	var doc jsonReport
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if doc.Environment == nil || doc.Environment.Rounds != 2 || doc.Environment.CPUs < 1 {
		t.Fatalf("environment %+v", doc.Environment)
	}
	if doc.MedianSpread == nil || doc.WorstSpread == "" {
		t.Errorf("no stability summary")
	}
	samples := map[string]uint64{}
	for _, r := range doc.Results {
		if r.Error != "" || len(r.Rounds) != 2 {
			t.Errorf("%s/%s %d: error %q, %d rounds", r.Transport, r.Scenario, r.Size, r.Error, len(r.Rounds))
		}
		samples[r.Transport] += r.Samples
		switch r.Kind {
		case "latency":
			if len(r.Percentiles) != len(jsonPercentiles) {
				t.Errorf("%s/%s: %d percentiles", r.Transport, r.Scenario, len(r.Percentiles))
				continue
			}
			for i := 1; i < len(r.Percentiles); i++ {
				if r.Percentiles[i].Ns < r.Percentiles[i-1].Ns || r.Percentiles[i].Ns <= 0 {
					t.Errorf("%s/%s: percentiles not increasing: %+v", r.Transport, r.Scenario, r.Percentiles)
				}
			}
		case "throughput":
			if r.BytesPerSec <= 0 || r.MsgsPerSec <= 0 {
				t.Errorf("%s/%s %d: throughput %v B/s", r.Transport, r.Scenario, r.Size, r.BytesPerSec)
			}
		default:
			t.Errorf("kind %q", r.Kind)
		}
		if hasBaseline(doc.Results, r) && r.VsUnix == nil {
			t.Errorf("%s/%s %d: no ratio to the Unix socket", r.Transport, r.Scenario, r.Size)
		}
		if r.Kind == "latency" && r.VsFloor == nil {
			t.Errorf("%s/%s %d: no ratio to the floor", r.Transport, r.Scenario, r.Size)
		}
	}
	for _, tr := range transports() {
		if samples[tr] == 0 {
			t.Errorf("transport %s produced no samples", tr)
		}
	}
	checkAllocs(t, doc.Results)
}

// checkAllocs checks the allocation counts: on every gRPC unary row and
// only there, each round's included, and fewer on the direct path than
// over the Unix socket.
func checkAllocs(t *testing.T, rows []jsonRow) {
	t.Helper()
	perCall := map[string]float64{}
	for _, r := range rows {
		unary := strings.HasPrefix(r.Transport, "grpc-") && strings.HasPrefix(r.Scenario, "unary")
		if unary != (r.AllocsPerMsg != nil) {
			t.Errorf("%s/%s %d: allocations per call %v", r.Transport, r.Scenario, r.Size, r.AllocsPerMsg)
			continue
		}
		if !unary {
			continue
		}
		for _, x := range r.Rounds {
			if x.Allocs == nil || *x.Allocs <= 0 {
				t.Errorf("%s/%s %d: a round without its allocations", r.Transport, r.Scenario, r.Size)
			}
		}
		if r.Scenario == "unary" && r.Size == 32 {
			perCall[r.Transport] = *r.AllocsPerMsg
		}
	}
	if d, u := perCall["grpc-direct"], perCall["grpc-unix"]; d <= 0 || d >= u {
		t.Errorf("allocations per 32-byte call: %.1f on the direct path, %.1f over a Unix socket", d, u)
	}
}

// hasBaseline reports whether the Unix-socket row r compares with ran.
func hasBaseline(rows []jsonRow, r jsonRow) bool {
	s, ok := bench.Lookup(r.Transport + "/" + r.Scenario)
	if !ok || s.Baseline == "" {
		return false
	}
	return slices.ContainsFunc(rows, func(b jsonRow) bool {
		return b.Transport+"/"+b.Scenario == s.Baseline && b.Size == r.Size
	})
}

func TestFlags(t *testing.T) {
	var out, errb bytes.Buffer
	for _, bad := range [][]string{{"-count", "0"}, {"-sizes", "x"}, {"-cpu", "0,1,2"}, {"-spin", "-1s"},
		{"-gogc", "-5"}, {"-gogc", "x"}, {"-only", "nothing"}, {"stray"}} {
		out.Reset()
		errb.Reset()
		if code := run(context.Background(), bad, &out, &errb); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", bad, code, exitUsage)
		}
	}
	if code := run(context.Background(), []string{"-list", "-only", "unix,floor"}, &out, &errb); code != exitOK {
		t.Fatalf("-list: exit %d: %s", code, errb.String())
	}
	// A header, two floor probes (cache line, wire format), then the Unix
	// socket's rows.
	if got := strings.Count(out.String(), "\n"); got != 1+2+len(bench.CopySizes)+len(bench.EchoSizes) {
		t.Errorf("-list -only unix,floor printed:\n%s", out.String())
	}
}

func TestPlan(t *testing.T) {
	cfg := &config{only: []string{"echo", "shm-raw/one-way"}, sizes: []int{100}}
	for _, j := range plan(bench.Scenarios(), cfg) {
		if j.s.Name != "echo" && j.s.Key() != "shm-raw/one-way" || j.size != 100 {
			t.Errorf("unexpected job %s", j.label())
		}
	}
	cfg = &config{only: []string{"floor"}, sizes: []int{100}}
	jobs := plan(bench.Scenarios(), cfg)
	if len(jobs) != 2 || jobs[0].s.Key() != floorKey || jobs[0].size != 8 ||
		jobs[1].s.Key() != "floor/wire-v4" || jobs[1].size != 32 {
		t.Errorf("the floor probes' sizes must not change: %v", jobs)
	}
}

func TestFormats(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{fmtNs(581), "581 ns"}, {fmtNs(18879), "18.9 µs"}, {fmtNs(2.5e6), "2.50 ms"}, {fmtNs(3e9), "3.00 s"},
		{fmtBytesRate(2.16e9), "2.16 GB/s"}, {fmtBytesRate(135e6), "135 MB/s"},
		{fmtMsgRate(16.6e6), "16.6 M/s"}, {fmtMsgRate(2370), "2.37 k/s"},
		{fmtRatio(39.2), "39×"}, {fmtRatio(1.26), "1.3×"}, {fmtRatio(0.034), "0.03×"},
		{fmtVs(61.2), "61× faster"}, {fmtVs(1.26), "1.26× faster"}, {fmtVs(0.8), "1.25× slower"},
		{fmtVs(0.2), "5.0× slower"}, {fmtVs(0.998), "1.00× (same)"}, {fmtVs(1.003), "1.00× (same)"},
		{ninesLabel(0), "0%"}, {ninesLabel(1), "90%"}, {ninesLabel(2), "99%"}, {ninesLabel(4), "99.99%"},
		{decadeLabel(2, nsUnits), "100 ns"}, {decadeLabel(3, nsUnits), "1 µs"}, {decadeLabel(7, nsUnits), "10 ms"},
		{decadeLabel(9, rateUnits), "1 GB/s"}, {decadeLabel(8, rateUnits), "100 MB/s"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// Pinned to two CPUs, each process sees one, where shmring would not spin by
// default; -spin default then keeps the two-CPU budget. One CPU, or an
// explicit -spin, is left as given.
func TestPinnedSpin(t *testing.T) {
	for _, c := range []struct {
		args []string
		want time.Duration
	}{
		{[]string{"-cpu", "0,1"}, pinnedSpin},
		{[]string{"-cpu", "0"}, 0},
		{[]string{"-cpu", "0,1", "-spin", "5us"}, 5 * time.Microsecond},
		{nil, 0},
	} {
		cfg, err := parseFlags(c.args, io.Discard)
		if err != nil {
			t.Fatalf("%v: %v", c.args, err)
		}
		if cfg.spin != c.want {
			t.Errorf("%v: spin %v, want %v", c.args, cfg.spin, c.want)
		}
	}
}
