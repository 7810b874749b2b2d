package shmring

import (
	"errors"
	"fmt"
	"os"
	"testing"
	"time"
)

// Publication and wake-up rules (ABI.md §3.1–§3.3).

func TestPublishEvery(t *testing.T) {
	r, p, c := openPair(t, 4096, []Option{WithPublishEvery(4), WithFlushDelay(time.Hour)}, nil)
	for i := range 3 {
		mustSend(t, p, TypeID(i), nil)
	}
	if r.head.Load() != 0 {
		t.Fatalf("3 of 4 commits published head %d", r.head.Load())
	}
	_, err := c.Acquire()
	wantErr(t, err, ErrEmpty)
	mustSend(t, p, 3, nil)
	if r.head.Load() != 4*HeaderSize {
		t.Fatalf("the 4th commit published head %d, want %d", r.head.Load(), 4*HeaderSize)
	}
	if s := p.Stats(); s.Publishes != 1 || s.Frames != 4 {
		t.Fatalf("stats after one batch: %+v", s)
	}
	for i := range 4 {
		mustRecv(t, c, TypeID(i), nil)
	}
	mustSend(t, p, 4, nil)
	if err := p.Flush(); err != nil {
		t.Fatal(err)
	}
	if r.head.Load() != p.head {
		t.Fatal("Flush did not publish")
	}
	p.Flush() // nothing pending: no publication
	if s := p.Stats(); s.Publishes != 2 {
		t.Fatalf("publications after Flush: %d, want 2", s.Publishes)
	}
	mustRecv(t, c, 4, nil)

	// Wait publishes what is pending before it waits.
	mustSend(t, p, 5, nil)
	if err := p.Wait(0); err != nil { // room: returns at once
		t.Fatal(err)
	}
	if r.head.Load() != p.head {
		t.Fatal("Wait did not publish")
	}
	mustRecv(t, c, 5, nil)

	// So does an Acquire that finds the ring full.
	fillRing(t, p)
	if r.head.Load() != p.head || r.Fill() != r.Capacity() {
		t.Fatalf("ErrFull left head %d unpublished (published %d)", p.head, r.head.Load())
	}
}

// TestIdleFlush: a batching producer that goes idle publishes its last
// frames by itself. The consumer's blocking wait is bounded by hangGuard
// only: nobody calls Flush.
func TestIdleFlush(t *testing.T) {
	for _, mode := range waitModes {
		t.Run(mode.name, func(t *testing.T) {
			popts, copts := mode.opts(t)
			_, p, c := openPair(t, 1<<16, append(popts, WithPublishEvery(32)), copts)
			ctx := guardCtx(t)
			for _, n := range []int{1, 33, 64, 5} {
				for i := range n {
					mustSend(t, p, TypeID(i), []byte(fmt.Sprint(i)))
				}
				for i := range n {
					f, err := c.AcquireContext(ctx)
					if err != nil {
						t.Fatalf("frame %d of %d: %v", i, n, err)
					}
					if f.Type != TypeID(i) || string(f.Payload) != fmt.Sprint(i) {
						t.Fatalf("frame %d of %d: type %d %q", i, n, f.Type, f.Payload)
					}
					c.Commit()
				}
			}
		})
	}
}

// TestConsumerPublishesTail checks each reason the consumer has to store
// its tail (ABI.md §3.2) and that it stores it for no other.
func TestConsumerPublishesTail(t *testing.T) {
	const capacity = 4096 // a quarter is 1024 bytes: 8 slots of 128
	r, p, c := openPair(t, capacity, nil, nil)
	payload := make([]byte, 64) // 128-byte slots
	for i := range 20 {
		mustSend(t, p, TypeID(i), payload)
	}
	for i := range 7 {
		mustRecv(t, c, TypeID(i), payload)
		if r.tail.Load() != 0 {
			t.Fatalf("tail published after %d of 20 frames (%d bytes)", i+1, (i+1)*128)
		}
	}
	mustRecv(t, c, 7, payload) // a quarter of the ring released
	if r.tail.Load() != 1024 {
		t.Fatalf("tail %d after a quarter of the ring, want 1024", r.tail.Load())
	}
	mustRecv(t, c, 8, payload)
	if r.tail.Load() != 1024 {
		t.Fatal("tail published early")
	}
	r.producerSleeping.Store(sleeping) // the producer waits for room
	mustRecv(t, c, 9, payload)
	if r.tail.Load() != 10*128 {
		t.Fatalf("tail %d with the producer sleeping, want %d", r.tail.Load(), 10*128)
	}
	if r.producerSleeping.Load() != awake || c.Stats().Wakes != 1 {
		t.Fatalf("producer word %d, consumer wakes %d: want the producer woken once",
			r.producerSleeping.Load(), c.Stats().Wakes)
	}
	mustRecv(t, c, 10, payload)
	if err := c.Flush(); err != nil || r.tail.Load() != 11*128 {
		t.Fatalf("Flush: tail %d, %v", r.tail.Load(), err)
	}
	mustRecv(t, c, 11, payload)
	c.SetDeadline(time.Unix(1, 0)) // the wait itself fails at once
	if err := c.Wait(); !errors.Is(err, os.ErrDeadlineExceeded) || r.tail.Load() != 12*128 {
		t.Fatalf("Wait: tail %d, %v; want %d published before waiting", r.tail.Load(), err, 12*128)
	}
	for i := 12; i < 20; i++ {
		mustRecv(t, c, TypeID(i), payload)
	}
	if r.tail.Load() != 20*128 { // drained
		t.Fatalf("tail %d after draining, want %d", r.tail.Load(), 20*128)
	}
	// A wrap marker is released and published with the frame after it.
	mustSend(t, p, 20, make([]byte, 900)) // at 2560: fits before the end
	mustRecv(t, c, 20, make([]byte, 900))
	mustSend(t, p, 21, make([]byte, 900)) // at 3584: wraps to 0
	if _, err := c.Acquire(); err != nil {
		t.Fatal(err)
	}
	c.Commit()
	if r.tail.Load() != p.head {
		t.Fatalf("tail %d after the wrapped frame, want %d", r.tail.Load(), p.head)
	}
}

// TestWakeOnlyWhenAdvertised: a publication costs a wake system call only
// when the peer's word reads 1, and never when it reads 0 or 2 (pure spin).
func TestWakeOnlyWhenAdvertised(t *testing.T) {
	for _, mode := range waitModes {
		t.Run(mode.name, func(t *testing.T) {
			popts, copts := mode.opts(t)
			r, p, c := openPair(t, 4096, popts, copts)
			for range 10 {
				mustSend(t, p, 1, nil)
				mustRecv(t, c, 1, nil)
			}
			if p.Stats().Wakes != 0 || c.Stats().Wakes != 0 {
				t.Fatalf("wakes with nobody asleep: producer %d, consumer %d", p.Stats().Wakes, c.Stats().Wakes)
			}
			r.consumerSleeping.Store(pureSpin)
			mustSend(t, p, 1, nil)
			if p.Stats().Wakes != 0 || r.consumerSleeping.Load() != pureSpin {
				t.Fatalf("a pure-spin consumer was woken (word %d)", r.consumerSleeping.Load())
			}
			r.consumerSleeping.Store(sleeping)
			mustSend(t, p, 1, nil)
			mustSend(t, p, 1, nil) // a second publication finds the word cleared
			if p.Stats().Wakes != 1 || r.consumerSleeping.Load() != awake {
				t.Fatalf("producer wakes %d, consumer word %d: want one wake and the word cleared",
					p.Stats().Wakes, r.consumerSleeping.Load())
			}
			r.producerSleeping.Store(sleeping)
			mustRecv(t, c, 1, nil)
			if c.Stats().Wakes != 1 || r.producerSleeping.Load() != awake {
				t.Fatalf("consumer wakes %d, producer word %d", c.Stats().Wakes, r.producerSleeping.Load())
			}
		})
	}
}

// TestTinyRings: rings of one and two slots make progress with both sides
// blocking. Tachyon's publish-every-32 consumer would livelock them.
func TestTinyRings(t *testing.T) {
	for _, capacity := range []int{64, 128} {
		for _, mode := range waitModes {
			t.Run(fmt.Sprintf("%d/%s", capacity, mode.name), func(t *testing.T) {
				popts, copts := mode.opts(t)
				_, p, c := openPair(t, capacity, popts, copts)
				defer c.Close()
				s := newStream(uint64(capacity), capacity-HeaderSize)
				if err := s.pipe(guardCtx(t), p, c, 20_000); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}
