package main

import (
	"fmt"
	"io"
	"os"
	"time"
)

// progress reports on stderr: one line rewritten in place on a terminal,
// one line per round otherwise.
type progress struct {
	w     io.Writer
	tty   bool
	start time.Time
}

func newProgress(w io.Writer) *progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	return &progress{w: w, tty: tty, start: time.Now()}
}

func (p *progress) step(done, total, round, rounds int, label string) {
	if !p.tty {
		return
	}
	elapsed := time.Since(p.start).Seconds()
	left := ""
	if done > 0 {
		left = fmt.Sprintf(", ~%.0fs left", elapsed/float64(done)*float64(total-done))
	}
	fmt.Fprintf(p.w, "\r\x1b[K[%3d/%d] round %d/%d  %-30s %.1fs%s", done+1, total, round+1, rounds, label, elapsed, left)
}

func (p *progress) fail(label string, round int, err error) {
	if p.tty {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
	fmt.Fprintf(p.w, "tachyon-bench: %s, round %d: %v\n", label, round+1, err)
}

func (p *progress) roundDone(round, rounds int) {
	if !p.tty {
		fmt.Fprintf(p.w, "tachyon-bench: round %d/%d done after %.1fs\n", round+1, rounds, time.Since(p.start).Seconds())
	}
}

func (p *progress) finish() {
	if p.tty {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}
