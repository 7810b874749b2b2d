package conn

import (
	"context"
	"testing"
	"time"
)

// Frames(WithFramesEarlyWrap) reaches this end's producer: in a ping-pong
// of small frames, the write position goes back to the start of the ring
// long before a frame would no longer fit before its end.
func TestFramesEarlyWrapApplies(t *testing.T) {
	const capacity, at = 16 << 10, 1024
	a, b, err := Pipe(WithRingSize(capacity))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	defer b.Close()
	fa, err := a.Frames(WithFramesEarlyWrap(at))
	if err != nil {
		t.Fatal(err)
	}
	fb, err := b.Frames()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	maxHead := 0
	for i := range 500 {
		buf, err := fa.Acquire(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		buf[0] = byte(i)
		if err := fa.Commit(100, 1); err != nil {
			t.Fatal(err)
		}
		if _, err := fb.Next(ctx); err != nil {
			t.Fatal(err)
		}
		if err := fb.Release(); err != nil {
			t.Fatal(err)
		}
		info, err := a.txRing.Info()
		if err != nil {
			t.Fatal(err)
		}
		maxHead = max(maxHead, int(info.Head%capacity))
	}
	if maxHead > capacity/2 {
		t.Fatalf("the write position reached %d of a %d-byte ring with early wrap at %d", maxHead, capacity, at)
	}
}
