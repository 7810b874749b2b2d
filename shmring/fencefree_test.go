package shmring

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// TestFenceFreeNoLostWakeUps streams bursts of frames to a consumer that
// runs out of frames, and so sleeps, between them, while the producer
// publishes fence-free (fencefree.go): every sleep then races a fence-free
// publication. A wake-up lost in that race leaves the consumer parked on
// its doorbell, which only the deadline ends, and the test fails. The
// producer waits for each burst's acknowledgement, then pauses for a few
// microseconds so that the consumer has time to give up spinning: the
// pause shapes the load, it synchronises nothing. The race's window is a
// few nanoseconds, so this test shows the whole path working rather than
// the ordering itself (with either barrier removed it still passed 20 runs
// under load): internal/sys's TestGlobalBarrierOrdersLightStores checks
// the ordering, and TestFenceFreeTinyRing the sleeper's barriers.
func TestFenceFreeNoLostWakeUps(t *testing.T) {
	if !fenceFreeCapable() {
		t.Skip("fence-free publishing is not available here (race detector, other architectures, or no membarrier)")
	}
	bursts := 3000
	if testing.Short() {
		bursts = 1000
	}
	popts, copts := doorbellOpts(t)
	copts = append(copts, WithSpin(5*time.Microsecond))
	_, p, c := openPair(t, 1<<16, popts, copts)
	c.SetDeadline(time.Now().Add(time.Minute))
	p.SetDeadline(time.Now().Add(time.Minute)) // the producer's waits for room end too if the consumer gives up
	acks := make(chan int, 1)
	errs := make(chan error, 1)
	go func() {
		next := uint64(0)
		for b := 0; b < bursts; b++ {
			want := -1 // the burst's size, in its first frame
			for got := 0; want < 0 || got < want; {
				f, err := c.Acquire()
				if err == ErrEmpty {
					if err := c.Wait(); err != nil {
						errs <- fmt.Errorf("burst %d, frame %d: %w", b, got, err)
						return
					}
					continue
				}
				if err != nil {
					errs <- err
					return
				}
				if seq := binary.LittleEndian.Uint64(f.Payload); seq != next {
					errs <- fmt.Errorf("frame %d arrived as %d", next, seq)
					return
				}
				if want < 0 {
					want = int(binary.LittleEndian.Uint64(f.Payload[8:]))
				}
				next++
				got++
				c.Commit()
			}
			acks <- want
		}
		errs <- nil
	}()
	r := rand.New(rand.NewPCG(5, 6))
	seq := uint64(0)
	fenceFreeBursts := 0
	for b := 0; b < bursts; b++ {
		size := 1 + r.IntN(200)
		for range size {
			buf, err := p.Acquire(16)
			for err == ErrFull {
				if err = p.Wait(16); err == nil {
					buf, err = p.Acquire(16)
				}
			}
			if err != nil {
				t.Fatal(err)
			}
			binary.LittleEndian.PutUint64(buf, seq)
			binary.LittleEndian.PutUint64(buf[8:], uint64(size))
			seq++
			if err := p.Commit(16, 1); err != nil {
				t.Fatal(err)
			}
		}
		if p.k.fenceFree {
			fenceFreeBursts++
		}
		select {
		case n := <-acks:
			if n != size {
				t.Fatalf("burst %d: %d frames acknowledged, %d sent", b, n, size)
			}
		case err := <-errs:
			t.Fatalf("consumer, burst %d: %v", b, err)
		case <-time.After(30 * time.Second):
			t.Fatalf("burst %d was not acknowledged: a wake-up was lost", b)
		}
		// Not a synchronisation: an idle gap of random length, so that
		// the consumer sometimes parks before the next burst and
		// sometimes is still spinning.
		time.Sleep(time.Duration(r.IntN(50)) * time.Microsecond)
	}
	select {
	case err := <-errs:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the consumer did not finish after its last acknowledgement")
	}
	if fenceFreeBursts < bursts/10 {
		t.Fatalf("only %d of %d bursts ended with the producer fence-free: the race was not exercised", fenceFreeBursts, bursts)
	}
	t.Logf("%d of %d bursts ended fence-free; consumer parks %d", fenceFreeBursts, bursts, c.Stats().Parks)
}

// TestFenceFreeTinyRing streams frames through a ring that holds one frame,
// in doorbell mode, so that both sides keep going to sleep and waking each
// other while each publishes fence-free whenever it found the other awake
// long enough. Without the barrier at the sleeper's move from its futex
// word to its doorbell (seePeer in park) it fails under load, both sides
// parked for good: with two conn test binaries running beside it, -count=40
// hung at 64 bytes, where the code with the barrier passed 40 runs.
func TestFenceFreeTinyRing(t *testing.T) {
	if !fenceFreeCapable() {
		t.Skip("fence-free publishing is not available here (race detector, other architectures, or no membarrier)")
	}
	for _, capacity := range []int{64, 128} {
		t.Run(fmt.Sprint(capacity), func(t *testing.T) {
			popts, copts := doorbellOpts(t)
			_, p, c := openPair(t, capacity, popts, copts)
			defer c.Close()
			s := newStream(uint64(capacity), capacity-HeaderSize)
			if err := s.pipe(guardCtx(t), p, c, 50_000); err != nil {
				t.Fatal(err)
			}
		})
	}
}
