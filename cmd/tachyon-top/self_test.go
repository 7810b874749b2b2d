//go:build linux

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/tachyon-ipc/tachyon-go/conn"
)

// scanSelf scans the real /proc and returns the segments this process holds.
func scanSelf(t *testing.T, all bool) []segment {
	t.Helper()
	sc := &scanner{proc: self, inspect: inspectShmem, all: all}
	snap, err := sc.scan()
	if err != nil {
		t.Fatal(err)
	}
	var mine []segment
	for _, s := range snap.Segments {
		if slices.Contains(s.PIDs, os.Getpid()) {
			mine = append(mine, s)
		}
	}
	return mine
}

// TestScanAll: a ring under another name is listed only with -all, and a
// closed ring is not listed at all.
func TestScanAll(t *testing.T) {
	ours := newRing(t, "tachyon-go:s2c:/scan-all")
	other := newRing(t, "not-tachyon-go")
	named := func(segs []segment, name string) bool {
		return slices.ContainsFunc(segs, func(s segment) bool { return s.Name == name })
	}
	segs := scanSelf(t, false)
	if !named(segs, "tachyon-go:s2c:/scan-all") || named(segs, "not-tachyon-go") {
		t.Errorf("without -all: %+v", segs)
	}
	segs = scanSelf(t, true)
	if !named(segs, "tachyon-go:s2c:/scan-all") || !named(segs, "not-tachyon-go") {
		t.Errorf("with -all: %+v", segs)
	}
	for _, s := range segs {
		if s.Name == "not-tachyon-go" && (s.Path != "" || s.Direction != "" || s.CreatorPID != 0 || s.Capacity != 4096) {
			t.Errorf("a ring under another name: %+v", s)
		}
	}
	ours.Close()
	other.Close()
	if segs = scanSelf(t, true); named(segs, "tachyon-go:s2c:/scan-all") || named(segs, "not-tachyon-go") {
		t.Errorf("closed rings listed: %+v", segs)
	}
}

// TestScanPipe: an in-process connection's rings have one process, which
// made them.
func TestScanPipe(t *testing.T) {
	a, b, err := conn.Pipe(conn.WithRingSize(conn.MinRingSize))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	defer b.Close()
	if _, err := a.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, s := range scanSelf(t, false) {
		if s.Path != pipePath {
			continue
		}
		dirs = append(dirs, s.Direction)
		if s.CreatorPID != os.Getpid() || len(s.PeerPIDs) != 0 || len(s.Holders) != 1 || len(s.Holders[0].FDs) != 2 {
			t.Errorf("%s: creator %d, peers %v, holders %+v; want this process, holding each ring twice",
				s.Direction, s.CreatorPID, s.PeerPIDs, s.Holders)
		}
		if want := map[string]int{"c2s": slot(5), "s2c": 0}[s.Direction]; s.Fill != want {
			t.Errorf("%s: fill %d, want %d", s.Direction, s.Fill, want)
		}
	}
	if slices.Sort(dirs); !slices.Equal(dirs, []string{"c2s", "s2c"}) {
		t.Errorf("pipe rings %v", dirs)
	}
}

// TestOnceRates: -json with an explicit -interval scans twice and reports
// rates.
func TestOnceRates(t *testing.T) {
	newRing(t, "tachyon-go:c2s:/once-rates")
	var snap snapshot
	out := runTop(t, "-json", "-interval", "1ms", "-path", "/once-rates")
	if err := json.Unmarshal([]byte(out), &snap); err != nil {
		t.Fatal(err)
	}
	if len(snap.Segments) != 1 || snap.Segments[0].Path != "/once-rates" {
		t.Fatalf("-path /once-rates lists:\n%s", out)
	}
	if r := snap.Segments[0].Rates; r == nil || r.Seconds <= 0 || r.Producer == nil || r.Consumer == nil {
		t.Errorf("rates %+v", r)
	}
}

// drawWriter calls onFrame after each frame the refresh loop draws: render
// writes a frame in one Write, after the clear-screen.
type drawWriter struct {
	frames  []string
	onFrame func(n int)
}

func (w *drawWriter) Write(b []byte) (int, error) {
	if string(b) == clearScreen {
		return len(b), nil
	}
	w.frames = append(w.frames, string(b))
	w.onFrame(len(w.frames))
	return len(b), nil
}

// TestRefresh runs the top-like loop: it redraws, shows rates from the
// second frame on, and returns cleanly when interrupted.
func TestRefresh(t *testing.T) {
	r := newRing(t, "tachyon-go:c2s:/refresh")
	p, err := r.Producer()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	w := &drawWriter{onFrame: func(n int) {
		if n == 1 { // traffic between the first two scans
			buf, err := p.Acquire(100)
			if err == nil {
				err = p.Commit(len(buf), 0)
			}
			if err != nil {
				t.Error(err)
			}
		}
		if n == 2 {
			cancel() // Ctrl-C
		}
	}}
	var errb strings.Builder
	if code := run(ctx, []string{"-interval", "1ms"}, w, &errb); code != exitOK || ctx.Err() != context.Canceled {
		t.Fatalf("exit %d, %v: %s", code, ctx.Err(), errb.String())
	}
	if len(w.frames) != 2 {
		t.Fatalf("%d frames", len(w.frames))
	}
	for i, f := range w.frames {
		if !strings.Contains(f, "/refresh") || !strings.Contains(f, "Ctrl-C quits") {
			t.Errorf("frame %d:\n%s", i+1, f)
		}
		if got := strings.Contains(f, "FRAMES/s"); got != (i == 1) {
			t.Errorf("frame %d has rate columns: %v\n%s", i+1, got, f)
		}
	}
	if want := fmt.Sprintf("%d B (%.1f%%)", slot(100), 100*float64(slot(100))/4096); !strings.Contains(w.frames[1], want) {
		t.Errorf("second frame does not show the frame written:\n%s", w.frames[1])
	}
}
