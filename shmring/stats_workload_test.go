package shmring

import (
	"encoding/binary"
	"errors"
	"os"
	"testing"
	"time"
)

// TestStatsWorkload counts a known single-goroutine workload exactly, reads
// the same numbers at the ABI offsets of the counter lines (ABI.md §1.5),
// and checks that a reopened side continues the shared totals.
func TestStatsWorkload(t *testing.T) {
	r, p, c := openPair(t, 4096, nil, nil)
	for range 5 {
		mustSend(t, p, 1, make([]byte, 100))
	}
	frames := make([]Frame, 8)
	if n, err := c.Drain(frames); n != 5 || err != nil {
		t.Fatalf("Drain = %d, %v", n, err)
	}
	c.Commit() // drained: one publication
	_, err := c.Acquire()
	wantErr(t, err, ErrEmpty) // nothing left to publish
	c.SetDeadline(time.Unix(1, 0))
	if err := c.Wait(); !errors.Is(err, os.ErrDeadlineExceeded) { // one wait, neither won nor parked
		t.Fatal(err)
	}
	wantP := Stats{Frames: 5, Bytes: 500, Publishes: 5}
	wantC := Stats{Frames: 5, Bytes: 500, Publishes: 1, Waits: 1}
	if got := p.Stats(); got != wantP {
		t.Errorf("producer %+v, want %+v", got, wantP)
	}
	if got := c.Stats(); got != wantC {
		t.Errorf("consumer %+v, want %+v", got, wantC)
	}
	ne := binary.NativeEndian
	for i, w := range [8]uint64{5, 500, 5, 0, 0, 0, 0, 0} {
		if got := ne.Uint64(r.ctl[576+8*i:]); got != w {
			t.Errorf("producer counter word %d (offset %d) = %d, want %d", i, 576+8*i, got, w)
		}
	}
	for i, w := range [8]uint64{5, 500, 1, 0, 0, 0, 1, 0} {
		if got := ne.Uint64(r.ctl[704+8*i:]); got != w {
			t.Errorf("consumer counter word %d (offset %d) = %d, want %d", i, 704+8*i, got, w)
		}
	}

	p2, err := r.Producer()
	if err != nil {
		t.Fatal(err)
	}
	mustSend(t, p2, 1, []byte("x"))
	if got := p2.Stats(); got != (Stats{Frames: 6, Bytes: 501, Publishes: 6}) {
		t.Errorf("reopened producer %+v, want the totals continued", got)
	}
	r.Close()
	if p2.Stats() != (Stats{}) || c.Stats() != (Stats{}) {
		t.Error("Stats of a closed ring are not zero")
	}
}
