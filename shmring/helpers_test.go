package shmring

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

// Helpers shared by this package's tests.

// hangGuard bounds every blocking step of a test. It is not a performance
// threshold: a healthy run finishes in a small fraction of it.
const hangGuard = 2 * time.Minute

// ringSeq numbers the memfds of a test run so /proc/self/maps can tell them
// apart.
var ringSeq atomic.Int64

// testRing creates a ring that the test closes when it ends.
func testRing(t testing.TB, capacity int) *Ring {
	t.Helper()
	r, err := Create(fmt.Sprintf("tachyon-go-test-%d", ringSeq.Add(1)), capacity)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// openPair opens both sides of a fresh ring.
func openPair(t testing.TB, capacity int, popts, copts []Option) (*Ring, *Producer, *Consumer) {
	t.Helper()
	r := testRing(t, capacity)
	p, err := r.Producer(popts...)
	if err != nil {
		t.Fatal(err)
	}
	c, err := r.Consumer(copts...)
	if err != nil {
		t.Fatal(err)
	}
	return r, p, c
}

// roundPair opens both sides of a fresh ring for one round of a loop, in
// doorbell mode if doorbells is set; done closes the ring and the doorbells
// at once, so that many rounds do not pile up descriptors.
func roundPair(t testing.TB, capacity int, doorbells bool) (p *Producer, c *Consumer, done func()) {
	t.Helper()
	r, err := Create("tachyon-go-round", capacity)
	if err != nil {
		t.Fatal(err)
	}
	var popts, copts []Option
	var closers []func() error
	if doorbells {
		data, dataRinger, err := NewDoorbellPair()
		if err != nil {
			t.Fatal(err)
		}
		space, spaceRinger, err := NewDoorbellPair()
		if err != nil {
			t.Fatal(err)
		}
		closers = append(closers, data.Close, dataRinger.Close, space.Close, spaceRinger.Close)
		popts, copts = []Option{WithDoorbells(space, dataRinger)}, []Option{WithDoorbells(data, spaceRinger)}
	}
	done = func() {
		r.Close()
		for _, c := range closers {
			c()
		}
	}
	if p, err = r.Producer(popts...); err == nil {
		c, err = r.Consumer(copts...)
	}
	if err != nil {
		done()
		t.Fatal(err)
	}
	return p, c, done
}

// waitModes are the two ways a side can park, as options for the producer
// and the consumer of one ring.
type waitMode struct {
	name string
	opts func(t testing.TB) (popts, copts []Option)
}

var waitModes = []waitMode{
	{name: "futex", opts: func(testing.TB) ([]Option, []Option) { return nil, nil }},
	{name: "doorbell", opts: doorbellOpts},
	{name: "doorbell+futex", opts: doorbellFutexOpts},
}

// doorbellFutexOpts is doorbell mode with a futex stage before each
// doorbell park (WithFutexStage).
func doorbellFutexOpts(t testing.TB) (popts, copts []Option) {
	t.Helper()
	popts, copts = doorbellOpts(t)
	stage := WithFutexStage(time.Millisecond)
	return append(popts, stage), append(copts, stage)
}

// doorbellOpts makes the two doorbells of one ring: data (the consumer
// parks, the producer rings) and space (the other way round).
func doorbellOpts(t testing.TB) (popts, copts []Option) {
	t.Helper()
	data, dataRinger := testDoorbellPair(t)
	space, spaceRinger := testDoorbellPair(t)
	return []Option{WithDoorbells(space, dataRinger)}, []Option{WithDoorbells(data, spaceRinger)}
}

// testDoorbellPair is a doorbell and its ringer, closed when the test ends.
func testDoorbellPair(t testing.TB) (*Doorbell, *Ringer) {
	t.Helper()
	d, fd := testDoorbellFd(t)
	return d, testRinger(t, fd)
}

// testRinger opens a ringer on fd, closed when the test ends.
func testRinger(t testing.TB, fd int) *Ringer {
	t.Helper()
	r, err := OpenRinger(fd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// testDoorbellFd is a doorbell, closed when the test ends, and the
// descriptor of its ringing end, which the caller owns.
func testDoorbellFd(t testing.TB) (*Doorbell, int) {
	t.Helper()
	d, fd, err := NewDoorbell()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, fd
}

// mustSend commits one frame holding payload, without blocking.
func mustSend(t testing.TB, p *Producer, typ TypeID, payload []byte) {
	t.Helper()
	b, err := p.Acquire(len(payload))
	if err != nil {
		t.Fatalf("acquire %d bytes: %v", len(payload), err)
	}
	copy(b, payload)
	if err := p.Commit(len(payload), typ); err != nil {
		t.Fatalf("commit: %v", err)
	}
}

// mustRecv acquires one frame without blocking, checks it and commits it.
func mustRecv(t testing.TB, c *Consumer, typ TypeID, payload []byte) {
	t.Helper()
	f, err := c.Acquire()
	if err != nil {
		t.Fatalf("acquire: %v", err)
	}
	if f.Type != typ || string(f.Payload) != string(payload) {
		t.Fatalf("got frame type %#x %d bytes %.16q, want type %#x %d bytes %.16q",
			f.Type, len(f.Payload), f.Payload, typ, len(payload), payload)
	}
	if err := c.Commit(); err != nil {
		t.Fatal(err)
	}
}

// within runs fn in a goroutine and fails the test if it has not returned
// after hangGuard. It returns fn's error.
func within(t testing.TB, what string, fn func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return err
	case <-time.After(hangGuard):
		t.Fatalf("%s did not return within %v", what, hangGuard)
		return nil
	}
}

// guardCtx is a context bounded by hangGuard.
func guardCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	t.Cleanup(cancel)
	return ctx
}

// wantErr fails unless errors.Is(err, target).
func wantErr(t testing.TB, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("got error %v, want %v", err, target)
	}
}

// headerAt decodes the frame header at physical offset off of r's data area.
func headerAt(r *Ring, off uint64) (size, typeID, reserved uint32) {
	h := r.data[off : off+HeaderSize]
	ne := binary.NativeEndian
	return ne.Uint32(h[hdrSize:]), ne.Uint32(h[hdrTypeID:]), ne.Uint32(h[hdrReservedSize:])
}
