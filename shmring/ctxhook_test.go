package shmring

import (
	"context"
	"testing"
)

// A ping-pong through AcquireContext and Send with a cancellable context
// allocates nothing once warm, waits included (issue 17: the hot path makes
// no garbage).
func TestContextWaitsDoNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	_, p0, c0 := openPair(t, 1<<12, nil, nil)
	_, p1, c1 := openPair(t, 1<<12, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { // echo ring 0 into ring 1
		for {
			f, err := c0.AcquireContext(ctx)
			if err != nil {
				return
			}
			if p1.Send(ctx, f.Type, f.Payload) != nil {
				return
			}
			c0.Commit()
		}
	}()
	msg := make([]byte, 32)
	round := func() {
		if err := p0.Send(ctx, 1, msg); err != nil {
			t.Fatal(err)
		}
		if _, err := c1.AcquireContext(ctx); err != nil {
			t.Fatal(err)
		}
		c1.Commit()
	}
	round()
	if n := testing.AllocsPerRun(2000, round); n != 0 {
		t.Fatalf("%v allocations per round trip, want 0", n)
	}
	waits := c1.Stats().Waits
	if waits == 0 {
		t.Fatal("the round trips never waited: the test measured nothing")
	}
}
