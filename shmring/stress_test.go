package shmring

import (
	"context"
	"flag"
	"testing"
	"time"
)

var stressFrames = flag.Uint64("shmring.stress", 1_000_000, "frames per TestStress run")

// TestStress pushes a million frames of 0 to 6000 bytes through an 8 KiB
// ring between two goroutines, in both wait modes, and checks the order and
// every byte of each. Frames above half the ring exercise the eager wrap
// marker; most of the time one side waits for the other.
func TestStress(t *testing.T) {
	const capacity, maxSize = 8192, 6000
	for _, mode := range waitModes {
		t.Run(mode.name, func(t *testing.T) {
			popts, copts := mode.opts(t)
			_, p, c := openPair(t, capacity, popts, copts)
			defer c.Close()
			s := newStream(1, maxSize)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			start := time.Now()
			if err := s.pipe(ctx, p, c, *stressFrames); err != nil {
				t.Fatal(err)
			}
			ps, cs := p.Stats(), c.Stats()
			if ps.Frames != *stressFrames || cs.Frames != *stressFrames || ps.Bytes != cs.Bytes {
				t.Errorf("stats disagree: producer %+v, consumer %+v", ps, cs)
			}
			t.Logf("%d frames, %d MB in %v", cs.Frames, cs.Bytes>>20, time.Since(start).Round(time.Millisecond))
			t.Logf("producer %+v", ps)
			t.Logf("consumer %+v", cs)
		})
	}
}
