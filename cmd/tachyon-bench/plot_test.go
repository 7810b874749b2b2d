package main

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/internal/bench"
	"github.com/tachyon-ipc/tachyon-go/internal/hist"
)

// fakeReport builds a report from (key, size, p50 ns or bytes/s) triples
// without measuring anything.
func fakeReport(t *testing.T, rows ...fakeRow) *report {
	t.Helper()
	rep := &report{env: &environment{Date: time.Date(2026, 12, 6, 15, 0, 0, 0, time.UTC), CPUs: 2, Rounds: 1}}
	for _, f := range rows {
		s, ok := bench.Lookup(f.key)
		if !ok {
			t.Fatalf("no scenario %s", f.key)
		}
		r := &row{job: job{s: s, size: f.size}, ok: 1}
		if s.Kind == bench.Latency {
			r.hist = hist.New()
			for i := range 1000 {
				r.hist.Record(int64(f.value) + int64(i))
			}
		} else {
			r.bytesPerSec, r.msgsPerSec = f.value, f.value/float64(f.size)
		}
		rep.rows = append(rep.rows, r)
	}
	rep.ratios()
	return rep
}

type fakeRow struct {
	key   string
	size  int
	value float64
}

var strokeRE = regexp.MustCompile(`<path class="(\w+)" d="[^"]*" fill="none" stroke="(#[0-9a-f]{6})"`)

// pathColors returns the stroke colours of the plot's lines in order, by
// panel.
func pathColors(svg string) map[string][]string {
	m := map[string][]string{}
	for _, s := range strokeRE.FindAllStringSubmatch(svg, -1) {
		m[s[1]] = append(m[s[1]], s[2])
	}
	return m
}

// A transport keeps its colour whatever else the plot holds, in both panels.
func TestPlotColorsByTransport(t *testing.T) {
	full := fakeReport(t,
		fakeRow{"floor/cache-line", 8, 120}, fakeRow{"shm-raw/ping-pong", 32, 330},
		fakeRow{"shm/echo", 32, 380}, fakeRow{"unix/echo", 32, 23000},
		fakeRow{"shm/io.Copy", 1024, 7e9}, fakeRow{"shm/io.Copy", 65536, 28e9},
		fakeRow{"unix/io.Copy", 1024, 4e8}, fakeRow{"unix/io.Copy", 65536, 2.7e9})
	fewer := fakeReport(t, fakeRow{"shm/echo", 32, 380}, fakeRow{"shm/io.Copy", 65536, 28e9})
	svg := renderSVG(full)
	svgPaths(t, []byte(svg))
	c := pathColors(svg)
	if len(c["latency"]) != 4 || len(c["throughput"]) != 2 {
		t.Fatalf("lines by panel: %v", c)
	}
	shm := transportColor("shm")
	if c["latency"][2] != shm || c["throughput"][0] != shm {
		t.Errorf("shm is not %s in both panels: %v", shm, c)
	}
	if c2 := pathColors(renderSVG(fewer)); c2["latency"][0] != shm || c2["throughput"][0] != shm {
		t.Errorf("shm changed colour when rows were removed: %v", c2)
	}
	if c["throughput"][1] != transportColor("unix") || c["throughput"][1] == shm {
		t.Errorf("unix throughput line %s", c["throughput"][1])
	}
	for _, want := range []string{"Round-trip latency by percentile", "One-way throughput by payload size",
		"shm io.Copy · up to 28.0 GB/s (64KiB)", "1 GB/s"} {
		if !strings.Contains(svg, want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
}

// Every built-in transport has a colour of its own.
func TestTransportColorsDistinct(t *testing.T) {
	seen := map[string]string{}
	for _, s := range bench.Scenarios() {
		c := transportColor(s.Transport)
		if o, ok := seen[c]; ok && o != s.Transport {
			t.Errorf("%s and %s share %s", o, s.Transport, c)
		}
		seen[c] = s.Transport
	}
	// A transport outside the map gets a spare colour, never one a
	// built-in transport owns.
	for _, name := range []string{"some-new-transport", "grpc-quic", "shm-next"} {
		if o, ok := seen[transportColor(name)]; ok {
			t.Errorf("new transport %s takes %s's colour", name, o)
		}
	}
}

// A row slower than the Unix socket says so in words.
func TestTableSlowerThanUnix(t *testing.T) {
	rep := fakeReport(t, fakeRow{"unix/echo", 32, 20000}, fakeRow{"tcp/echo", 32, 100000}, fakeRow{"shm/echo", 32, 400})
	var b strings.Builder
	if err := writeTable(&b, rep); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	find := func(prefix string) string {
		i := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, prefix) })
		if i < 0 {
			t.Fatalf("no %q row in\n%s", prefix, b.String())
		}
		return lines[i]
	}
	for prefix, want := range map[string]string{"unix ": "baseline", "tcp ": "× slower", "shm ": "× faster"} {
		if l := find(prefix); !strings.Contains(l, want) {
			t.Errorf("row %q lacks %q", l, want)
		}
	}
}

// -list keeps its columns aligned for every name, however long.
func TestListAligned(t *testing.T) {
	var b strings.Builder
	jobs := append(plan(bench.Scenarios(), &config{}),
		job{s: bench.Scenario{Transport: "grpc-bufconn-in-process", Name: "unary", Kind: bench.Latency}, size: 32})
	if err := writeList(&b, jobs); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	col := strings.Index(lines[0], "scenario")
	end := len([]rune(lines[0]))
	for _, l := range lines[1:] {
		if l[col-2:col] != "  " || l[col] == ' ' {
			t.Errorf("scenario column not at %d: %q", col, l)
		}
		if n := len([]rune(l)); n != end {
			t.Errorf("line ends at %d, header at %d: %q", n, end, l)
		}
	}
}
