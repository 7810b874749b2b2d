package shmring

import (
	"context"
	"encoding/binary"
	"io"
	"testing"
	"time"
)

// A low-water mark outside [0, cap/2] is refused.
func TestSetLowWaterBounds(t *testing.T) {
	r := testRing(t, 4096)
	c, err := r.Consumer()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, n := range []int{-1, 2049} {
		if err := c.SetLowWater(n); err == nil {
			t.Errorf("SetLowWater(%d) accepted", n)
		}
	}
	if err := c.SetLowWater(2048); err != nil {
		t.Errorf("SetLowWater(cap/2): %v", err)
	}
}

// With a low-water mark, a stream arrives whole and in order, a lone frame
// below the mark still comes out of Wait, and the producer's Close ends it.
func TestLowWaterStream(t *testing.T) {
	_, p, c := openPair(t, 64<<10, nil, []Option{WithSpin(50 * time.Microsecond)})
	defer c.Close()
	if err := c.SetLowWater(16 << 10); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	deadline, _ := ctx.Deadline()
	p.SetDeadline(deadline) // the sending goroutine's waits end with the test's

	// send commits one frame of n bytes holding i.
	send := func(i uint64, n int) {
		for {
			b, err := p.Acquire(n)
			if err == ErrFull {
				if err := p.Wait(n); err != nil {
					t.Error(err)
					return
				}
				continue
			}
			if err != nil {
				t.Error(err)
				return
			}
			binary.LittleEndian.PutUint64(b, i)
			if err := p.Commit(n, 1); err != nil {
				t.Error(err)
			}
			return
		}
	}
	// A lone frame, far below the mark.
	sent := make(chan struct{})
	go func() { send(0, 8); close(sent) }() // most often while the consumer waits
	f, err := c.AcquireContext(ctx)
	if err != nil || binary.LittleEndian.Uint64(f.Payload) != 0 {
		t.Fatalf("lone frame: %v", err)
	}
	c.Commit()

	const frames = 20000
	go func() {
		<-sent // the producer is for one goroutine at a time
		for i := uint64(1); i <= frames; i++ {
			send(i, 8+int(i%300))
		}
		p.Close()
	}()
	for want := uint64(1); ; want++ {
		f, err := c.AcquireContext(ctx)
		if err == io.EOF {
			if want != frames+1 {
				t.Fatalf("io.EOF after %d frames, want %d", want-1, frames)
			}
			return
		}
		if err != nil {
			t.Fatalf("frame %d: %v", want, err)
		}
		if got := binary.LittleEndian.Uint64(f.Payload); got != want || len(f.Payload) != 8+int(want%300) {
			t.Fatalf("frame %d: got %d (%d bytes)", want, got, len(f.Payload))
		}
		c.Commit()
	}
}

// Wait's poll with a mark holds out while fewer bytes than the mark are
// published, gives in lowWaterPolls polls after the producer last moved
// head, and answers at once for a full mark or a closed producer.
func TestLowWaterPoll(t *testing.T) {
	_, p, c := openPair(t, 64<<10, nil, nil)
	defer c.Close()
	if err := c.SetLowWater(4 << 10); err != nil {
		t.Fatal(err)
	}
	polls := 0
	if c.readyLowWater(&polls) {
		t.Fatal("ready with nothing published")
	}
	mustSend(t, p, 1, make([]byte, 100)) // one 192-byte slot, far below the mark
	for i := range lowWaterPolls {
		if c.readyLowWater(&polls) {
			t.Fatalf("ready after %d polls below the mark, want %d", i+1, lowWaterPolls+1)
		}
	}
	if !c.readyLowWater(&polls) {
		t.Fatalf("not ready after %d polls below the mark", lowWaterPolls+1)
	}
	polls = 0
	for range 4 {
		mustSend(t, p, 1, make([]byte, 1000))
	}
	if !c.readyLowWater(&polls) {
		t.Fatal("not ready with the mark's bytes published")
	}
	polls = 0
	p.Close()
	if !c.readyLowWater(&polls) {
		t.Fatal("not ready once the producer closed")
	}
}
