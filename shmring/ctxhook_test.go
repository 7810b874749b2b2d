package shmring

import (
	"context"
	"math/rand/v2"
	"sync/atomic"
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
	// SetDeadline kicks the doorbell, so that a wait in progress sees the
	// new deadline; with none in progress, the kick would only end the
	// first wait early.
	c.w.bell.kicked.Store(false)
	p.w.bell.kicked.Store(false)
	return p, c
}

// endsOnDone is a context that ends when its Done channel is asked for the
// nth time. WaitContext looks at Err first, then asks for Done once to
// choose how to wait (n = 1: the context has ended by then, its channel
// being the closed one every context ended before its first Done shares),
// and registering with the context asks again (n = 2: it ends as the wait
// registers, so that only the registration can end the wait).
type endsOnDone struct {
	context.Context
	cancel context.CancelFunc
	calls  *atomic.Int32
	n      int32
}

func newEndsOnDone(n int32) endsOnDone {
	ctx, cancel := context.WithCancel(context.Background())
	return endsOnDone{ctx, cancel, new(atomic.Int32), n}
}

func (c endsOnDone) Done() <-chan struct{} {
	if c.calls.Add(1) == c.n {
		c.cancel()
	}
	return c.Context.Done()
}

// WaitContext returns the context's error once it ends, on either side,
// whether it ended before the wait, as the wait looked at it, or as the
// wait registered with it.
func TestWaitContextEnds(t *testing.T) {
	p, c := openBellPair(t)
	done, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.WaitContext(done); err != context.Canceled {
		t.Fatalf("consumer, context ended before: %v, want context.Canceled", err)
	}
	for _, n := range []int32{1, 2} {
		if err := untilError(func() error { return c.WaitContext(newEndsOnDone(n)) }); err != context.Canceled {
			t.Fatalf("consumer, context ended at its Done call %d: %v, want context.Canceled", n, err)
		}
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
	for _, n := range []int32{1, 2} {
		if err := untilError(func() error { return p.WaitContext(newEndsOnDone(n), 1000) }); err != context.Canceled {
			t.Fatalf("producer, context ended at its Done call %d: %v, want context.Canceled", n, err)
		}
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

// taggedCtx is a context type that == cannot compare (a slice field):
// the hook must tell such contexts apart without comparing them.
type taggedCtx struct {
	context.Context
	tags []string
}

// A context that comes to one wait is registered for that wait only; one
// that comes back stays registered, its later waits allocate nothing, and
// when it ends between waits the next wait returns early with nil.
// Contexts of a type == cannot compare work alike.
func TestWaitContextRegistration(t *testing.T) {
	p, c := openBellPair(t)
	frame := func() {
		t.Helper()
		if err := p.Send(context.Background(), 1, []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	take := func() {
		t.Helper()
		if _, err := c.Acquire(); err != nil {
			t.Fatal(err)
		}
		c.Commit()
	}
	frame() // every wait below returns at once: a frame is there

	once, cancelOnce := context.WithCancel(context.Background())
	defer cancelOnce()
	if err := c.WaitContext(taggedCtx{once, []string{"once"}}); err != nil {
		t.Fatal(err)
	}
	if c.hook.stop != nil {
		t.Fatal("a context that came to one wait stayed registered")
	}

	ctx, cancel := context.WithCancel(context.Background())
	for range 2 {
		if err := c.WaitContext(taggedCtx{ctx, []string{"back"}}); err != nil {
			t.Fatal(err)
		}
	}
	if c.hook.stop == nil {
		t.Fatal("a context that came back was not kept")
	}
	if !raceEnabled {
		wait := func() { c.WaitContext(ctx) }
		if n := testing.AllocsPerRun(100, wait); n != 0 {
			t.Fatalf("%v allocations per wait with a kept context, want 0", n)
		}
	}
	take()
	cancel() // the ring is empty now: only the ended context can end the next wait
	if err := c.Wait(); err != nil {
		t.Fatalf("the wait after the kept context ended: %v, want nil (look again)", err)
	}
	c.Close()
	if c.hook.stop != nil || c.hook.done != nil {
		t.Fatal("Close left a context registered")
	}
}

// Waits with contexts drawn at random from a few, some of them ending
// along the way, with and without a frame to take: every wait returns its
// context's error once that context has ended, nil or the frame's arrival
// otherwise, none hangs, at most one registration is ever kept, and Close
// leaves none.
func TestWaitContextSequences(t *testing.T) {
	p, c := openBellPair(t)
	rng := rand.New(rand.NewPCG(1, 2))
	type entry struct {
		ctx    context.Context
		cancel context.CancelFunc
	}
	fresh := func() entry {
		ctx, cancel := context.WithCancel(context.Background())
		return entry{ctx, cancel}
	}
	pool := []entry{fresh(), fresh(), fresh()}
	defer func() {
		for _, e := range pool {
			e.cancel()
		}
	}()
	for i := range 2000 {
		k := rng.IntN(len(pool))
		switch rng.IntN(8) {
		case 0: // end one context, replace it by a new one
			pool[k].cancel()
			old := pool[k].ctx
			if err := c.WaitContext(old); err != context.Canceled {
				t.Fatalf("step %d: a wait with an ended context: %v", i, err)
			}
			pool[k] = fresh()
		case 1, 2, 3: // a frame is there: the wait returns at once
			if err := p.Send(context.Background(), 1, []byte("x")); err != nil {
				t.Fatal(err)
			}
			if err := c.WaitContext(pool[k].ctx); err != nil {
				t.Fatalf("step %d: a wait with a frame ready: %v", i, err)
			}
			if _, err := c.Acquire(); err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
			c.Commit()
		default: // no frame: a context that ends from elsewhere ends the wait
			ctx := newEndsOnDone(int32(1 + rng.IntN(2)))
			if err := untilError(func() error { return c.WaitContext(ctx) }); err != context.Canceled {
				t.Fatalf("step %d: %v, want context.Canceled", i, err)
			}
		}
		if c.hook.stop != nil && !c.hook.keep {
			t.Fatalf("step %d: a registration for one wait outlived it", i)
		}
	}
	c.Close()
	if c.hook.stop != nil {
		t.Fatal("Close left a context registered")
	}
}
