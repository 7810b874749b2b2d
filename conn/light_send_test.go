package conn

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/internal/sys"
)

// framePair is a Pipe switched to frames on both ends.
func framePair(t *testing.T) (a, b *Conn, fa, fb *Frames) {
	t.Helper()
	a, b, err := Pipe(WithRingSize(4 << 10))
	if err != nil {
		t.Skipf("no shared memory here: %v", err)
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	if fa, err = a.Frames(); err == nil {
		fb, err = b.Frames()
	}
	if err != nil {
		t.Fatal(err)
	}
	return a, b, fa, fb
}

// The gate-free send is on where membarrier(2) is, and its handshake with
// settleWrite works both ways round: a Close during a send (a view held)
// leaves the writing side to the Commit that ends the send; a CloseWrite
// between sends settles at once, and the peer reads every frame, then
// io.EOF.
func TestLightSendSettles(t *testing.T) {
	if !sys.ProcessBarrierAvailable() {
		t.Skip("no membarrier(2) here: every send takes the gate")
	}
	a, _, fa, _ := framePair(t)
	if !a.lightSend.Load() {
		t.Fatal("frame mode did not turn the gate-free send on")
	}
	ctx := context.Background()
	v, err := fa.Acquire(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if a.sendBusy.Load() != 1 {
		t.Fatal("a gate-free send is not announced")
	}
	if !a.wrMu.tryLock() {
		t.Fatal("a gate-free send holds the gate")
	}
	a.wrMu.unlock()
	closed := make(chan struct{})
	go func() { a.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close waited for the send in progress")
	}
	if a.sendRevoked.Load() != revokeDone || a.wrState.Load() == sideReleased {
		t.Fatalf("after Close: revoked %d, writing side %d; want the side left to the send", a.sendRevoked.Load(), a.wrState.Load())
	}
	copy(v, "still ours") // the ring is still mapped
	if err := fa.Commit(len(v), 1); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Commit after Close: %v, want net.ErrClosed", err)
	}
	if a.sendBusy.Load() != 0 || a.wrState.Load() != sideReleased {
		t.Fatalf("after Commit: busy %d, writing side %d; want the side released", a.sendBusy.Load(), a.wrState.Load())
	}

	c, _, fc, fd := framePair(t)
	for i := range 3 {
		b, err := fc.Acquire(ctx, 8)
		if err == nil {
			err = fc.Commit(len(b), 7)
		}
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
	}
	if err := c.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	if c.wrState.Load() != sideShut {
		t.Fatalf("CloseWrite between sends left the writing side %d, want shut", c.wrState.Load())
	}
	readAll(t, fd, 3)
}

// Without the process barrier (other systems, seccomp), every send takes the
// writing gate, and Close settles through it as before.
func TestGatedSendSettles(t *testing.T) {
	lightSendOn = false
	defer func() { lightSendOn = true }()
	a, _, fa, fb := framePair(t)
	if a.lightSend.Load() {
		t.Fatal("the gate-free send is on although switched off")
	}
	ctx := context.Background()
	for range 3 {
		b, err := fa.Acquire(ctx, 8)
		if err == nil {
			err = fa.Commit(len(b), 7)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	v, err := fa.Acquire(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if a.wrMu.tryLock() {
		t.Fatal("a gated send does not hold the gate")
	}
	a.Close()
	if a.wrState.Load() == sideReleased {
		t.Fatal("Close released the writing side under a held view")
	}
	copy(v, "still ours")
	if err := fa.Commit(len(v), 1); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Commit after Close: %v, want net.ErrClosed", err)
	}
	if a.wrState.Load() != sideReleased {
		t.Fatal("Commit did not settle the side Close left to it")
	}
	readAll(t, fb, 3)
}

// readAll reads n frames of type 7, then io.EOF.
func readAll(t *testing.T, f *Frames, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := range n {
		fr, err := f.Next(ctx)
		if err != nil || fr.Type != 7 {
			t.Fatalf("frame %d: type %d, %v", i, fr.Type, err)
		}
		f.Release()
	}
	if _, err := f.Next(ctx); err != io.EOF {
		t.Fatalf("after %d frames: %v, want io.EOF", n, err)
	}
}
