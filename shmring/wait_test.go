package shmring

import (
	"context"
	"errors"
	"io"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// Blocking: deadlines, Interrupt, and wake-ups of a parked side (ABI.md §3.3).

// parkThen runs wait in a goroutine, waits until it advertises sleep in
// word (a rendezvous on shared memory, not a delay), calls act and returns
// wait's result. A wait that returns nil before it parks, a spurious
// wake-up that Wait allows, is started again.
func parkThen(t *testing.T, word *atomic.Uint32, wait func() error, act func()) error {
	t.Helper()
	limit := time.Now().Add(hangGuard)
start:
	for {
		done := make(chan error, 1)
		go func() { done <- wait() }()
		for w := word.Load(); w != sleeping && w != bellSleeping; w = word.Load() {
			select {
			case err := <-done:
				if err != nil {
					return err
				}
				continue start
			default:
			}
			if time.Now().After(limit) {
				t.Fatalf("the wait did not park within %v", hangGuard)
			}
			runtime.Gosched()
		}
		act()
		select {
		case err := <-done:
			return err
		case <-time.After(hangGuard):
			t.Fatalf("the parked wait did not return within %v", hangGuard)
		}
	}
}

// parkingOpts adds WithSpin(0) so that every wait parks at once.
func parkingOpts(t *testing.T, mode waitMode) (popts, copts []Option) {
	popts, copts = mode.opts(t)
	return append(popts, WithSpin(0)), append(copts, WithSpin(0))
}

// fillRing commits zero-length frames until the ring is full.
func fillRing(t *testing.T, p *Producer) {
	t.Helper()
	for {
		if _, err := p.Acquire(0); err != nil {
			wantErr(t, err, ErrFull)
			return
		}
		p.Commit(0, 0)
	}
}

func TestDeadline(t *testing.T) {
	for _, mode := range waitModes {
		t.Run(mode.name, func(t *testing.T) {
			popts, copts := parkingOpts(t, mode)
			r, p, c := openPair(t, 256, popts, copts)
			consume := func() error { _, err := c.AcquireContext(context.Background()); return err }
			produce := func() error { _, err := p.AcquireContext(context.Background(), 0); return err }

			// A deadline in the past fails a wait at once.
			c.SetDeadline(time.Now().Add(-time.Second))
			wantErr(t, c.Wait(), os.ErrDeadlineExceeded)
			wantErr(t, consume(), os.ErrDeadlineExceeded)

			// One in the near future fails it once it passes, after parking.
			c.SetDeadline(time.Now().Add(20 * time.Millisecond))
			wantErr(t, within(t, "consumer wait with a deadline", consume), os.ErrDeadlineExceeded)

			// Moving the deadline into the past wakes a parked wait.
			c.SetDeadline(time.Time{})
			err := parkThen(t, r.consumerSleeping, consume, func() { c.SetDeadline(time.Now().Add(-time.Second)) })
			wantErr(t, err, os.ErrDeadlineExceeded)

			// Cleared, it no longer interferes.
			c.SetDeadline(time.Time{})
			mustSend(t, p, 1, []byte("late"))
			f, err := c.AcquireContext(guardCtx(t))
			if err != nil || string(f.Payload) != "late" {
				t.Fatalf("after clearing the deadline: %q, %v", f.Payload, err)
			}
			c.Commit()

			// The producer, on a full ring.
			fillRing(t, p)
			p.SetDeadline(time.Now().Add(-time.Second))
			wantErr(t, produce(), os.ErrDeadlineExceeded)
			p.SetDeadline(time.Now().Add(20 * time.Millisecond))
			wantErr(t, within(t, "producer wait with a deadline", produce), os.ErrDeadlineExceeded)
			p.SetDeadline(time.Time{})
			err = parkThen(t, r.producerSleeping, produce, func() { p.SetDeadline(time.Now().Add(-time.Second)) })
			wantErr(t, err, os.ErrDeadlineExceeded)
		})
	}
}

func TestContextEndsWait(t *testing.T) {
	for _, mode := range waitModes {
		t.Run(mode.name, func(t *testing.T) {
			popts, copts := parkingOpts(t, mode)
			r, p, c := openPair(t, 256, popts, copts)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
			defer cancel()
			_, err := c.AcquireContext(ctx)
			wantErr(t, err, context.DeadlineExceeded)

			ctx, cancel = context.WithCancel(context.Background())
			err = parkThen(t, r.consumerSleeping, func() error {
				_, err := c.AcquireContext(ctx)
				return err
			}, cancel)
			wantErr(t, err, context.Canceled)

			fillRing(t, p)
			ctx, cancel = context.WithCancel(context.Background())
			err = parkThen(t, r.producerSleeping, func() error { return p.Send(ctx, 1, nil) }, cancel)
			wantErr(t, err, context.Canceled)
		})
	}
}

func TestInterrupt(t *testing.T) {
	for _, mode := range waitModes {
		t.Run(mode.name, func(t *testing.T) {
			popts, copts := parkingOpts(t, mode)
			r, p, c := openPair(t, 256, popts, copts)
			// Before the wait: the next wait returns at once.
			c.Interrupt()
			if err := within(t, "interrupted consumer wait", c.Wait); err != nil {
				t.Fatal(err)
			}
			// During the wait.
			for range 20 {
				if err := parkThen(t, r.consumerSleeping, c.Wait, c.Interrupt); err != nil {
					t.Fatal(err)
				}
			}
			fillRing(t, p)
			p.Interrupt()
			if err := within(t, "interrupted producer wait", func() error { return p.Wait(0) }); err != nil {
				t.Fatal(err)
			}
			for range 20 {
				if err := parkThen(t, r.producerSleeping, func() error { return p.Wait(0) }, p.Interrupt); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// TestWakeParked: every event that can unblock a parked side wakes it, many
// times over. In doorbell mode a lost wake-up would hang the test; in futex
// mode the periodic re-check would hide it, so only the outcome is checked.
func TestWakeParked(t *testing.T) {
	for _, mode := range waitModes {
		t.Run(mode.name, func(t *testing.T) {
			popts, copts := parkingOpts(t, mode)
			r, p, c := openPair(t, 256, popts, copts)
			for i := range 100 {
				// Data for a parked consumer.
				err := parkThen(t, r.consumerSleeping, func() error {
					f, err := c.AcquireContext(context.Background())
					if err == nil && (f.Type != TypeID(i) || string(f.Payload) != "wake") {
						err = errors.New("wrong frame")
					}
					c.Commit()
					return err
				}, func() { mustSend(t, p, TypeID(i), []byte("wake")) })
				if err != nil {
					t.Fatal(err)
				}
				// Room for a parked producer.
				fillRing(t, p)
				err = parkThen(t, r.producerSleeping, func() error {
					b, err := p.AcquireContext(context.Background(), 0)
					if err == nil && len(b) != 0 {
						err = errors.New("wrong view")
					}
					p.Rollback()
					return err
				}, func() {
					if _, err := c.Acquire(); err != nil {
						t.Error(err)
					}
					c.Commit() // publishes: the producer sleeps
				})
				if err != nil {
					t.Fatal(err)
				}
				for { // drain for the next round
					if _, err := c.Acquire(); err != nil {
						wantErr(t, err, ErrEmpty)
						break
					}
					c.Commit()
				}
			}
			t.Logf("producer %+v", p.Stats())
			t.Logf("consumer %+v", c.Stats())
		})
	}
}

// TestCloseWakesParked: closing one side wakes the other out of its park:
// the consumer to io.EOF, the producer to ErrPeerClosed.
func TestCloseWakesParked(t *testing.T) {
	for _, mode := range waitModes {
		t.Run(mode.name, func(t *testing.T) {
			for range 20 {
				popts, copts := parkingOpts(t, mode)
				r, p, c := openPair(t, 256, popts, copts)
				err := parkThen(t, r.consumerSleeping, func() error {
					_, err := c.AcquireContext(context.Background())
					return err
				}, func() { p.Close() })
				wantErr(t, err, io.EOF)

				popts, copts = parkingOpts(t, mode)
				r, p, c = openPair(t, 256, popts, copts)
				fillRing(t, p)
				err = parkThen(t, r.producerSleeping, func() error {
					return p.Send(context.Background(), 1, nil)
				}, func() { c.Close() })
				wantErr(t, err, ErrPeerClosed)
			}
		})
	}
}
