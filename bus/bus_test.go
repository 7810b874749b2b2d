package bus_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/bus"
	"github.com/tachyon-ipc/tachyon-go/bus/tachyontest"
	"github.com/tachyon-ipc/tachyon-go/internal/handshake"
	"github.com/tachyon-ipc/tachyon-go/shmring"
)

// sockPath returns a short socket path in a fresh directory (sun_path holds
// 107 bytes).
func sockPath(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "tb")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "s")
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// pair makes a plain bus between two goroutines of this process.
func pair(t *testing.T, capacity int, opts ...bus.Option) (listener, dialer *bus.Bus) {
	t.Helper()
	path := sockPath(t)
	ctx := testCtx(t)
	type res struct {
		b   *bus.Bus
		err error
	}
	ch := make(chan res, 1)
	go func() {
		b, err := bus.ListenContext(ctx, path, capacity, opts...)
		ch <- res{b, err}
	}()
	d, err := bus.Dial(ctx, path, opts...)
	if err != nil {
		t.Fatal(err)
	}
	r := <-ch
	if r.err != nil {
		t.Fatal(r.err)
	}
	t.Cleanup(func() { r.b.Close(); d.Close() })
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket path still there after the handshake: %v", err)
	}
	return r.b, d
}

func TestPlainInProcessBothWays(t *testing.T) {
	for _, listenerProduces := range []bool{false, true} {
		t.Run(fmt.Sprintf("listenerProduces=%v", listenerProduces), func(t *testing.T) {
			l, d := pair(t, 1<<14)
			pb, cb := d, l
			if listenerProduces {
				pb, cb = l, d
			}
			if l.Peer().PID != os.Getpid() || d.Peer().UID != os.Geteuid() {
				t.Errorf("peer credentials %+v %+v", l.Peer(), d.Peer())
			}
			p, err := pb.Producer()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := pb.Consumer(); !errors.Is(err, bus.ErrRoleTaken) {
				t.Errorf("second role: %v", err)
			}
			c, err := cb.Consumer()
			if err != nil {
				t.Fatal(err)
			}
			ctx := testCtx(t)
			const n = 20000
			done := make(chan struct{})
			defer func() { <-done }()
			go func() {
				defer close(done)
				for i := range n {
					if err := p.Send(ctx, shmring.TypeID(i), bytes.Repeat([]byte{byte(i)}, i%(p.MaxPayload()+1))); err != nil {
						t.Error(err)
						return
					}
				}
			}()
			for i := range n {
				f, err := c.AcquireContext(ctx)
				if err != nil {
					t.Fatal(i, err)
				}
				if f.Type != shmring.TypeID(i) || !bytes.Equal(f.Payload, bytes.Repeat([]byte{byte(i)}, i%(p.MaxPayload()+1))) {
					t.Fatalf("frame %d wrong", i)
				}
				c.Commit()
			}
		})
	}
}

func TestFrameLimit(t *testing.T) {
	l, _ := pair(t, 1<<16)
	p, err := l.Producer()
	if err != nil {
		t.Fatal(err)
	}
	if p.MaxPayload() != 1920 {
		t.Errorf("MaxPayload = %d, want 1920", p.MaxPayload())
	}
	if _, err := p.Acquire(1920); err != nil {
		t.Fatal(err)
	}
	p.Rollback()
	_, err = p.Acquire(5000)
	var fl *bus.FrameLimitError
	if !errors.As(err, &fl) || !errors.Is(err, shmring.ErrTooLarge) || !errors.Is(err, bus.ErrFrameLimit) {
		t.Fatalf("Acquire(5000) = %v", err)
	}
	if fl.Need != 1<<18 || fl.Max != 1920 {
		t.Errorf("limit error %+v", fl)
	}
	t.Log(err)
	if err := p.Send(testCtx(t), 1, make([]byte, 1921)); !errors.Is(err, bus.ErrFrameLimit) {
		t.Errorf("Send(1921) = %v", err)
	}
	b, err := p.AcquireUpTo(1, 1<<20)
	if err != nil || len(b) != 1920 {
		t.Errorf("AcquireUpTo = %d, %v", len(b), err)
	}
	p.Rollback()
}

func TestTachyonMaxPayload(t *testing.T) {
	for _, tc := range []struct{ capacity, max int }{
		{64, -1}, {1024, -1}, {2048, 0}, {4096, 0}, {8192, 128}, {1 << 14, 384}, {1 << 16, 1920}, {1 << 20, 31680},
	} {
		if got := bus.TachyonMaxPayload(tc.capacity); got != tc.max {
			t.Errorf("TachyonMaxPayload(%d) = %d, want %d", tc.capacity, got, tc.max)
		}
	}
	// The limit is exact: 33 slots minus 64 fit, one more slot size does not.
	for c := 2048; c <= 1<<24; c *= 2 {
		m := bus.TachyonMaxPayload(c)
		slot := 64 + m
		if 33*slot-64 > c || 33*(slot+64)-64 <= c {
			t.Errorf("capacity %d: limit %d not tight", c, m)
		}
		if bus.CapacityFor(m) > c || bus.CapacityFor(m+1) <= c {
			t.Errorf("CapacityFor around %d: %d %d", m, bus.CapacityFor(m), bus.CapacityFor(m+1))
		}
	}
	for n := 0; n < 1<<20; n = n*3 + 1 {
		c := bus.CapacityFor(n)
		if bus.TachyonMaxPayload(c) < n || (c > shmring.MinCapacity && bus.TachyonMaxPayload(c/2) >= n) {
			t.Errorf("CapacityFor(%d) = %d is not the smallest", n, c)
		}
	}
	if bus.CapacityFor(1<<30) != 0 {
		t.Error("CapacityFor(1 GiB) should be impossible")
	}
}

func TestSmallRingRefusesProducer(t *testing.T) {
	l, d := pair(t, 1024)
	if _, err := l.Producer(); !errors.Is(err, bus.ErrFrameLimit) {
		t.Fatalf("Producer on a 1 KiB ring: %v", err)
	}
	if _, err := d.Consumer(); err != nil {
		t.Fatal(err)
	}
}

func TestRPCInProcess(t *testing.T) {
	path := sockPath(t)
	ctx, cancel := context.WithCancel(testCtx(t))
	ch := make(chan error, 1)
	go func() {
		b, err := bus.ListenRPCContext(ctx, path, 1<<14, 1<<13)
		if err != nil {
			ch <- err
			return
		}
		defer b.Close()
		callee, err := b.Callee()
		if err != nil {
			ch <- err
			return
		}
		err = callee.ServeFunc(ctx, func(r bus.Request) (uint16, []byte) { return r.MsgType + 1, r.Payload })
		if errors.Is(err, context.Canceled) {
			err = nil
		}
		ch <- err
	}()
	b, err := bus.DialRPC(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if f, r := b.Capacities(); f != 1<<14 || r != 1<<13 {
		t.Errorf("capacities %d %d", f, r)
	}
	caller, err := b.Caller()
	if err != nil {
		t.Fatal(err)
	}
	var buf []byte
	for i := range 1000 {
		msg := bytes.Repeat([]byte{byte(i)}, i%100)
		var mt uint16
		mt, buf, err = caller.Invoke(ctx, 7, msg, buf)
		if err != nil || mt != 8 || !bytes.Equal(buf, msg) {
			t.Fatalf("call %d: %d %q %v", i, mt, buf, err)
		}
	}
	// Pipelined calls, replies taken in order; out of order is refused.
	id1, _ := caller.Call(ctx, 1, []byte("a"))
	id2, _ := caller.Call(ctx, 1, []byte("b"))
	if _, err := caller.Wait(ctx, id2); !errors.Is(err, bus.ErrOutOfOrder) {
		t.Errorf("wait out of order: %v", err)
	}
	for _, id := range []uint64{id1, id2} {
		r, err := caller.Wait(ctx, id)
		if err != nil || r.ID != id {
			t.Fatalf("wait %d: %+v %v", id, r, err)
		}
	}
	if id1 != 1001 {
		t.Errorf("ids do not count from 1: %d", id1)
	}
	caller.Release()
	cancel()
	if err := <-ch; err != nil {
		t.Fatalf("callee: %v", err)
	}
}

func TestDialWrongKind(t *testing.T) {
	path := sockPath(t)
	ctx := testCtx(t)
	first := make(chan struct{})
	go func() {
		defer close(first)
		b, err := bus.ListenRPCContext(ctx, path, 4096, 4096)
		if err == nil {
			b.Close()
		}
	}()
	if _, err := bus.Dial(ctx, path); !errors.Is(err, bus.ErrWrongKind) {
		t.Fatalf("Dial on an RPC bus: %v", err)
	}
	// The first listener must be gone, socket unlinked, before the second
	// binds the path: a dial could otherwise reach the first one's socket
	// and be reset when it closes.
	select {
	case <-first:
	case <-ctx.Done():
		t.Fatal("the first listener did not return")
	}
	go func() {
		b, err := bus.ListenContext(ctx, path, 4096)
		if err == nil {
			b.Close()
		}
	}()
	if _, err := bus.DialRPC(ctx, path); !errors.Is(err, bus.ErrWrongKind) {
		t.Fatalf("DialRPC on a plain bus: %v", err)
	}
}

func TestPeerUIDRefused(t *testing.T) {
	path := sockPath(t)
	ctx := testCtx(t)
	other := os.Geteuid() + 4242
	errc := make(chan error, 1)
	go func() {
		_, err := bus.ListenContext(ctx, path, 4096, bus.WithPeerUIDs(other))
		errc <- err
	}()
	_, derr := bus.Dial(ctx, path)
	if err := <-errc; !errors.Is(err, bus.ErrPeerRefused) {
		t.Fatalf("listener with a foreign uid allowed: %v", err)
	}
	if derr == nil {
		t.Fatal("dial succeeded although the listener refused us")
	}
	go func() {
		b, err := bus.ListenContext(ctx, path, 4096)
		if err == nil {
			b.Close()
		}
	}()
	if _, err := bus.Dial(ctx, path, bus.WithPeerUIDs(other)); !errors.Is(err, bus.ErrPeerRefused) {
		t.Fatalf("dialer with a foreign uid allowed: %v", err)
	}
}

func TestListenPathChecks(t *testing.T) {
	ctx := testCtx(t)
	// A regular file is never removed.
	path := sockPath(t)
	os.WriteFile(path, []byte("precious"), 0o600)
	if _, err := bus.ListenContext(ctx, path, 4096); !errors.Is(err, bus.ErrPathInUse) {
		t.Fatalf("listen over a regular file: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "precious" {
		t.Fatal("regular file damaged")
	}
	// A live listener is not stolen.
	path = sockPath(t)
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bus.ListenContext(ctx, path, 4096); !errors.Is(err, bus.ErrPathInUse) {
		t.Fatalf("listen over a live socket: %v", err)
	}
	// A stale socket is removed.
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	done := make(chan error, 1)
	go func() {
		b, err := bus.ListenContext(ctx, path, 4096)
		if err == nil {
			b.Close()
		}
		done <- err
	}()
	d, err := bus.Dial(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestListenContextCancel(t *testing.T) {
	path := sockPath(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := bus.ListenContext(ctx, path, 4096)
		done <- err
	}()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("ListenContext after cancel: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("ListenContext ignored its context")
	}
	dctx, dcancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer dcancel()
	if _, err := bus.Dial(dctx, path); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Dial with nobody listening: %v", err)
	}
}

func TestDialRefusesBadHandshake(t *testing.T) {
	path := sockPath(t)
	ctx := testCtx(t)
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		c, err := l.AcceptUnix()
		if err != nil {
			return
		}
		defer c.Close()
		b := handshake.Hello{CapacityFwd: 4096}.Marshal()
		b[4] = 3 // wire version 3
		c.Write(b[:])
	}()
	_, err = bus.Dial(ctx, path)
	if !errors.Is(err, handshake.ErrABIMismatch) {
		t.Fatalf("Dial accepted wire version 3: %v", err)
	}
	t.Log(err)
}

// A Tachyon caller makes its ring fatal on a reply out of order, so the
// Callee refuses to send one; a peer that replies out of order fails the
// Caller for good.
func TestRPCOrder(t *testing.T) {
	ctx := testCtx(t)
	dl, _ := ctx.Deadline()
	path := sockPath(t)
	wait := make(chan *bus.RPCBus, 1)
	go func() {
		b, err := bus.ListenRPCContext(ctx, path, 1<<14, 1<<14)
		if err != nil {
			t.Error(err)
		}
		wait <- b
	}()
	peer, err := tachyontest.ConnectRPC(path, dl)
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	b := <-wait
	if b == nil {
		t.FailNow()
	}
	defer b.Close()
	callee, err := b.Callee()
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := peer.Call([]byte("x"), 1, dl); err != nil {
			t.Fatal(err)
		}
	}
	r1, err := callee.Serve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := callee.Serve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := callee.Reply(ctx, r2.ID, 2, nil); !errors.Is(err, bus.ErrOutOfOrder) {
		t.Fatalf("reply to the second request first: %v", err)
	}
	if err := callee.Reply(ctx, 99, 2, nil); !errors.Is(err, bus.ErrOutOfOrder) {
		t.Fatalf("reply to an unknown request: %v", err)
	}
	for _, r := range []bus.Request{r1, r2} {
		if err := callee.Reply(ctx, r.ID, 2, r.Payload); err != nil {
			t.Fatal(err)
		}
		f, err := peer.Wait(r.ID, 0, dl)
		if err != nil {
			t.Fatal(err)
		}
		peer.CommitReply()
		if f.CorrelationID != r.ID || peer.Rev.State() != tachyontest.StateReady {
			t.Fatalf("reply %d: %+v, state %d", r.ID, f, peer.Rev.State())
		}
	}
}

func TestRPCCallerRefusesPeerOutOfOrder(t *testing.T) {
	ctx := testCtx(t)
	dl, _ := ctx.Deadline()
	path := sockPath(t)
	wait := make(chan *bus.RPCBus, 1)
	go func() {
		b, err := bus.DialRPC(ctx, path)
		if err != nil {
			t.Error(err)
		}
		wait <- b
	}()
	peer, err := tachyontest.ListenRPC(path, 1<<14, 1<<14, dl)
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	b := <-wait
	if b == nil {
		t.FailNow()
	}
	defer b.Close()
	caller, err := b.Caller()
	if err != nil {
		t.Fatal(err)
	}
	id, err := caller.Call(ctx, 1, []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := peer.Serve(0, dl); err != nil {
		t.Fatal(err)
	}
	peer.CommitServe()
	if err := peer.Reply(id+1, []byte("y"), 2, dl); err != nil { // the wrong id
		t.Fatal(err)
	}
	if _, err := caller.Wait(ctx, id); !errors.Is(err, bus.ErrOutOfOrder) {
		t.Fatalf("reply with the wrong id: %v", err)
	}
	if _, err := caller.Call(ctx, 1, nil); !errors.Is(err, bus.ErrOutOfOrder) {
		t.Fatalf("caller still usable after a protocol violation: %v", err)
	}
}
