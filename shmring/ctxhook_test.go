package shmring

import (
	"context"
	"testing"
	"time"
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

// openBellPair is openPair in doorbell mode, where a wait ends only when
// the other side rings, the deadline passes or something interrupts it (no
// periodic re-check returns nil).
func openBellPair(t *testing.T) (*Producer, *Consumer) {
	dataBell, dataRinger := testDoorbellPair(t)
	roomBell, roomRinger := testDoorbellPair(t)
	_, p, c := openPair(t, 1<<12, []Option{WithDoorbells(roomBell, dataRinger)}, []Option{WithDoorbells(dataBell, roomRinger)})
	c.SetDeadline(time.Now().Add(10 * time.Second)) // a failure, not a hang
	p.SetDeadline(time.Now().Add(10 * time.Second))
	return p, c
}

// WaitContext returns the context's error once it ends, on either side,
// whether it ended before the wait or during it.
func TestWaitContextEnds(t *testing.T) {
	p, c := openBellPair(t)
	done, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.WaitContext(done); err != context.Canceled {
		t.Fatalf("consumer, context ended before: %v, want context.Canceled", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go cancel()
	if err := untilError(func() error { return c.WaitContext(ctx) }); err != context.Canceled {
		t.Fatalf("consumer, context ended during the wait: %v, want context.Canceled", err)
	}
	for { // fill the ring
		if _, err := p.Acquire(1000); err == ErrFull {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if err := p.Commit(1000, 1); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel = context.WithCancel(context.Background())
	go cancel()
	if err := untilError(func() error { return p.WaitContext(ctx, 1000) }); err != context.Canceled {
		t.Fatalf("producer, context ended during the wait: %v, want context.Canceled", err)
	}
}

// untilError repeats wait while it returns nil ("look again", which a
// wait may return at any time) and returns its first error.
func untilError(wait func() error) error {
	for {
		if err := wait(); err != nil {
			return err
		}
	}
}

// A context stays registered after its wait (one registration per
// context, not per wait): when it ends later, the next wait returns early
// with nil, and waits with the same context allocate nothing.
func TestWaitContextKeepsItsRegistration(t *testing.T) {
	p, c := openBellPair(t)
	ctx, cancel := context.WithCancel(context.Background())
	if err := p.Send(ctx, 1, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitContext(ctx); err != nil { // a frame is there: at once
		t.Fatal(err)
	}
	if !raceEnabled {
		if n := testing.AllocsPerRun(100, func() { c.WaitContext(ctx) }); n != 0 {
			t.Fatalf("%v allocations per wait with the same context, want 0", n)
		}
	}
	if _, err := c.Acquire(); err != nil {
		t.Fatal(err)
	}
	c.Commit()
	cancel() // the ring is empty now: only the ended context can end the next wait
	if err := c.Wait(); err != nil {
		t.Fatalf("the wait after the context ended: %v, want nil (look again)", err)
	}
}
