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

// The gate-free sides are on where membarrier(2) is, and their handshake
// with settleWrite and settleRead works both ways round: a Close during a
// send (a view held) leaves the writing side to the Commit that ends the
// send, and during a read (views held) the reading side to the Release; a
// CloseWrite between sends settles at once, and the peer reads every frame,
// then io.EOF.
func TestLightSidesSettle(t *testing.T) {
	if !sys.ProcessBarrierAvailable() {
		t.Skip("no membarrier(2) here: every send takes the gate")
	}
	a, b, fa, fb := framePair(t)
	if !a.lightTx.on.Load() || !a.lightRx.on.Load() {
		t.Fatal("frame mode did not turn the gate-free sides on")
	}
	ctx := context.Background()
	send7(t, fb)
	fr, err := fa.Next(ctx)
	if err != nil || fr.Type != 7 {
		t.Fatalf("Next: type %d, %v", fr.Type, err)
	}
	v, err := fa.Acquire(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if a.lightTx.busy.Load() != 1 || a.lightRx.busy.Load() != 1 {
		t.Fatal("gate-free uses are not announced")
	}
	if !a.wrMu.tryLock() || !a.rdMu.tryLock() {
		t.Fatal("a gate-free use holds its gate")
	}
	a.wrMu.unlock()
	a.rdMu.unlock()
	closed := make(chan struct{})
	go func() { a.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close waited for the send in progress")
	}
	if a.lightTx.revoked.Load() != revokeDone || a.wrState.Load() == sideReleased ||
		a.lightRx.revoked.Load() != revokeDone || a.rdState.Load() == sideReleased {
		t.Fatalf("after Close: writing side %d, reading side %d; want both left to the uses", a.wrState.Load(), a.rdState.Load())
	}
	copy(v, "still ours") // the rings are still mapped
	if fr.Payload[0] != 'x' {
		t.Fatalf("view after Close holds %q", fr.Payload)
	}
	if err := fa.Commit(len(v), 1); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Commit after Close: %v, want net.ErrClosed", err)
	}
	if a.lightTx.busy.Load() != 0 || a.wrState.Load() != sideReleased {
		t.Fatalf("after Commit: writing side %d; want it released", a.wrState.Load())
	}
	if a.rdState.Load() == sideReleased {
		t.Fatal("reading side released under a held view")
	}
	if err := fa.Release(); err != nil {
		t.Fatal(err)
	}
	if a.lightRx.busy.Load() != 0 || a.rdState.Load() != sideReleased {
		t.Fatalf("after Release: reading side %d; want it released", a.rdState.Load())
	}
	b.Close()

	c, _, fc, fd := framePair(t)
	for range 3 {
		send7(t, fc)
	}
	if err := c.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	if c.wrState.Load() != sideShut {
		t.Fatalf("CloseWrite between sends left the writing side %d, want shut", c.wrState.Load())
	}
	readAll(t, fd, 3)
}

// Without the process barrier (other systems, seccomp), every call takes
// its side's gate, and Close settles through it as before.
func TestGatedSidesSettle(t *testing.T) {
	defer SetLightSides(false)()
	a, _, fa, fb := framePair(t)
	if a.lightTx.on.Load() || a.lightRx.on.Load() {
		t.Fatal("the gate-free sides are on although switched off")
	}
	ctx := context.Background()
	for range 3 {
		send7(t, fa)
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

// send7 sends one frame of type 7 holding "x".
func send7(t *testing.T, f *Frames) {
	t.Helper()
	b, err := f.Acquire(context.Background(), 1)
	if err == nil {
		b[0] = 'x'
		err = f.Commit(1, 7)
	}
	if err != nil {
		t.Fatal(err)
	}
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
