package main

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/internal/bench"
)

// streamRow is a one-way row whose rounds moved bytes[i] bytes in a second
// each; a negative count is a failed round.
func streamRow(transport string, size int, bytes ...int64) *row {
	r := &row{job: job{s: bench.Scenario{Transport: transport, Name: "one-way", Kind: bench.Throughput}, size: size}}
	for _, b := range bytes {
		if b < 0 {
			r.runs = append(r.runs, round{err: errors.New("failed")})
			continue
		}
		r.runs = append(r.runs, round{res: bench.Result{Bytes: b, Elapsed: time.Second}})
	}
	r.merge()
	return r
}

// TestCxxRatiosPerRound checks that the comparison divides within each
// round: a machine that is twice as fast in some rounds must not make a
// row look faster or slower than its C++ baseline of the same rounds.
func TestCxxRatiosPerRound(t *testing.T) {
	rep := &report{rows: []*row{
		// Rounds 1 and 3 ran in the VM's fast state.
		streamRow(bench.TransportCxxCxx, 1024, 200, 100, 200, 100, 100),
		streamRow("shm-raw", 1024, 180, 90, 180, 90, -1),
	}}
	lines := cxxComparison(rep)
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2: %+v", len(lines), lines)
	}
	goGo := lines[1]
	if goGo.Pair != "Go ↔ Go" || goGo.Rounds != 4 {
		t.Fatalf("second line %+v, want Go ↔ Go over 4 rounds", goGo)
	}
	// Per round: 0.9 each time. A ratio of medians would say 135/100.
	if goGo.TputRatio < 0.8999 || goGo.TputRatio > 0.9001 {
		t.Errorf("throughput ratio %.4f, want the per-round 0.9", goGo.TputRatio)
	}
	if lines[0].TputRatio != 1 {
		t.Errorf("C++ ↔ C++ against itself: %.4f, want 1", lines[0].TputRatio)
	}
}

// A -cxx run measures the Unix socket's echo and io.Copy beside the
// comparison, so its figures have that baseline from the same run; without
// a built peer it still runs the Go rows and those baselines.
func TestCxxRunsUnixBaselines(t *testing.T) {
	var out, errb bytes.Buffer
	args := []string{"-cxx", "-cxxpeer", filepath.Join(t.TempDir(), "no-peer"), "-list"}
	if code := run(context.Background(), args, &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^unix +echo +latency +32B$`),
		regexp.MustCompile(`(?m)^unix +io\.Copy +throughput +32B$`),
		regexp.MustCompile(`(?m)^unix +io\.Copy +throughput +1KiB$`),
		regexp.MustCompile(`(?m)^shm-raw +ping-pong +latency +32B$`),
	} {
		if !want.MatchString(out.String()) {
			t.Errorf("-cxx -list has no row matching %s:\n%s", want, out.String())
		}
	}
}
