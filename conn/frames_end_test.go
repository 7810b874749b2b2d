//go:build linux

package conn_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/shmring"
	"golang.org/x/sys/unix"
)

// How frame-mode calls end: deadlines, contexts, Close (with views
// outstanding, too) and corrupt shared memory.

// blockFrames runs call (a Next when write is false, an Acquire on a full
// ring when true) and returns once it is parked waiting for the peer; the
// channel yields the call's error when it returns.
func blockFrames(t testing.TB, f *conn.Frames, write bool, call func() error) <-chan error {
	t.Helper()
	before := parks(f.Conn(), write)
	done := make(chan error, 1)
	go func() { done <- call() }()
	var early error
	finished := false
	poll(t, 10*time.Second, "the call to park", func() bool {
		select {
		case early = <-done:
			finished = true
			return true
		default:
		}
		return parks(f.Conn(), write) > before
	})
	if finished {
		t.Fatalf("the call returned without waiting: %v", early)
	}
	return done
}

// nextCall and acquireCall are the blocking calls blockFrames runs.
func nextCall(f *conn.Frames, ctx context.Context) func() error {
	return func() error {
		_, err := f.Next(ctx)
		return err
	}
}

func acquireCall(f *conn.Frames, ctx context.Context) func() error {
	return func() error {
		_, err := f.Acquire(ctx, 64)
		return err
	}
}

// sides names the two blocking calls for subtests.
func side(write bool) string {
	if write {
		return "Acquire"
	}
	return "Next"
}

// blockedPair returns a pipe in frame mode whose a end blocks in the call
// of side write: Next on an empty ring, Acquire on a full one.
func blockedPair(t *testing.T, write bool) (a, b *conn.Frames) {
	a, b = framesPipe(t, conn.WithRingSize(4<<10))
	if write {
		fillRing(t, a)
	}
	return a, b
}

// call returns the call of side write; one that succeeds ends its view at
// once, as a view left outstanding keeps the rings mapped after Close.
func call(f *conn.Frames, write bool, ctx context.Context) func() error {
	if write {
		return func() error {
			err := acquireCall(f, ctx)()
			f.Rollback()
			return err
		}
	}
	return func() error {
		err := nextCall(f, ctx)()
		f.Release()
		return err
	}
}

func setDeadline(f *conn.Frames, write bool, at time.Time) {
	if write {
		f.Conn().SetWriteDeadline(at)
	} else {
		f.Conn().SetReadDeadline(at)
	}
}

// An expired deadline or ctx fails the call before it looks at the ring,
// even with a frame (or room) there; clearing the deadline revives it.
func TestFramesPastDeadline(t *testing.T) {
	for _, write := range []bool{false, true} {
		t.Run(side(write), func(t *testing.T) {
			a, b := framesPipe(t, conn.WithRingSize(4<<10))
			f := a
			if !write {
				send(t, a, []byte("ready"), 1)
				f = b
			}
			setDeadline(f, write, time.Now().Add(-time.Second))
			if err := call(f, write, context.Background())(); !isTimeout(err) {
				t.Fatalf("expired deadline: %v, want a timeout", err)
			}
			setDeadline(f, write, time.Time{})
			expired, cancel := context.WithDeadline(context.Background(), time.Unix(1, 0))
			defer cancel()
			err := call(f, write, expired)()
			if !isTimeout(err) || !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("expired ctx: %v, want a timeout matching context.DeadlineExceeded", err)
			}
			if err := call(f, write, context.Background())(); err != nil {
				t.Fatalf("deadline cleared: %v", err)
			}
		})
	}
}

// A deadline in the future ends a blocked call when it comes, not before;
// one moved into the past from another goroutine wakes it at once.
func TestFramesDeadlineEndsWait(t *testing.T) {
	for _, write := range []bool{false, true} {
		t.Run(side(write), func(t *testing.T) {
			a, _ := blockedPair(t, write)
			const d = 50 * time.Millisecond
			start := time.Now()
			setDeadline(a, write, start.Add(d))
			err := call(a, write, context.Background())()
			if elapsed := time.Since(start); !isTimeout(err) || elapsed < d {
				t.Fatalf("after %v: %v, want a timeout no earlier than %v", elapsed, err, d)
			}
			setDeadline(a, write, time.Time{})
			done := blockFrames(t, a, write, call(a, write, context.Background()))
			setDeadline(a, write, time.Now().Add(-time.Second))
			if err := within(t, done, 5*time.Second, side(write)); !isTimeout(err) {
				t.Fatalf("deadline moved into the past: %v, want a timeout", err)
			}
		})
	}
}

// A ctx ends a blocked call: a timeout when its deadline passes, its cause
// when cancelled.
func TestFramesContext(t *testing.T) {
	for _, write := range []bool{false, true} {
		t.Run(side(write), func(t *testing.T) {
			a, _ := blockedPair(t, write)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
			defer cancel()
			err := call(a, write, ctx)()
			if !isTimeout(err) || !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("ctx timed out: %v, want a timeout", err)
			}
			ctx, cancel = context.WithCancel(context.Background())
			done := blockFrames(t, a, write, call(a, write, ctx))
			cancel()
			err = within(t, done, 5*time.Second, side(write))
			var op *net.OpError
			if !errors.Is(err, context.Canceled) || !errors.As(err, &op) || isTimeout(err) {
				t.Fatalf("ctx cancelled: %v, want a *net.OpError wrapping context.Canceled", err)
			}
		})
	}
}

// taggedCtx is a context type that == cannot compare (a slice field).
type taggedCtx struct {
	context.Context
	tags []string
}

// Blocked calls with contexts of a type that == cannot compare, one after
// the other, end when their contexts do, as any others (the ring side
// tells contexts apart by their Done channels).
func TestFramesUncomparableContexts(t *testing.T) {
	for _, write := range []bool{false, true} {
		t.Run(side(write), func(t *testing.T) {
			a, _ := blockedPair(t, write)
			for i := range 3 {
				ctx, cancel := context.WithCancel(context.Background())
				done := blockFrames(t, a, write, call(a, write, taggedCtx{ctx, []string{fmt.Sprint(i)}}))
				cancel()
				if err := within(t, done, 5*time.Second, side(write)); !errors.Is(err, context.Canceled) {
					t.Fatalf("call %d: %v, want context.Canceled", i, err)
				}
			}
		})
	}
}

// Close wakes every blocked call with net.ErrClosed.
func TestFramesCloseWakes(t *testing.T) {
	a, _ := framesPipe(t, conn.WithRingSize(4<<10))
	reading := blockFrames(t, a, false, nextCall(a, context.Background()))
	c, _ := framesPipe(t, conn.WithRingSize(4<<10))
	fillRing(t, c)
	writing := blockFrames(t, c, true, acquireCall(c, context.Background()))
	a.Conn().Close()
	c.Conn().Close()
	for name, done := range map[string]<-chan error{"Next": reading, "Acquire": writing} {
		if err := within(t, done, 5*time.Second, name); !errors.Is(err, net.ErrClosed) {
			t.Errorf("%s woken by Close: %v, want net.ErrClosed", name, err)
		}
	}
}

// Close with views outstanding leaves them valid (the rings stay mapped)
// until Release and Commit or Rollback, which then let the rings go.
func TestFramesCloseWithViews(t *testing.T) {
	base := ringMappings(t)
	a, b, err := conn.Pipe(conn.WithRingSize(4 << 10))
	if err != nil {
		t.Fatal(err)
	}
	fa, fb := mustFrames(t, a), mustFrames(t, b)
	want := []byte("still mapped")
	send(t, fa, want, 1)
	fr, err := fb.Next(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	out, err := fb.Acquire(testCtx(t), 1000)
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	b.Close()
	if _, err := fb.Next(testCtx(t)); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Next after Close: %v, want net.ErrClosed", err)
	}
	if !bytes.Equal(fr.Payload, want) { // reads the mapping
		t.Fatalf("view after Close holds %q", fr.Payload)
	}
	for i := range out { // writes the mapping
		out[i] = byte(i)
	}
	if ringMappings(t) <= base {
		t.Fatal("rings unmapped while views are outstanding")
	}
	if err := fb.Commit(len(out), 1); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Commit after Close: %v, want net.ErrClosed", err)
	}
	if err := fb.Release(); err != nil {
		t.Errorf("Release after Close: %v", err)
	}
	poll(t, 10*time.Second, "the rings to be unmapped", func() bool { return ringMappings(t) <= base })
}

// A corrupt index fails the call with a *shmring.CorruptError and closes
// the connection; nothing panics.
func TestFramesCorruptRing(t *testing.T) {
	before := memfds(t, "c2s:pipe")
	a, b := framesPipe(t, conn.WithRingSize(8<<10))
	var ring []int
	for fd := range memfds(t, "c2s:pipe") {
		if !before[fd] {
			ring = append(ring, fd)
		}
	}
	if len(ring) == 0 {
		t.Fatal("no descriptor of the new client-to-server ring")
	}
	send(t, a, []byte("fine"), 1)
	if got, _ := recv(t, b); string(got) != "fine" {
		t.Fatalf("got %q", got)
	}
	m, err := unix.Mmap(ring[0], 0, shmring.ControlSize+8<<10, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(m)
	m[128] += 3 // the head (ABI.md §1.1) is no longer a multiple of 64
	_, err = b.Next(testCtx(t))
	if !errors.Is(err, shmring.ErrCorrupt) {
		t.Fatalf("Next on a corrupt ring: %v, want ErrCorrupt", err)
	}
	t.Log(err)
	if _, err := b.Next(testCtx(t)); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Next after the corruption: %v, want net.ErrClosed", err)
	}
}

// memfds returns this process's descriptors of memfds whose name contains
// name.
func memfds(t testing.TB, name string) map[int]bool {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	fds := map[int]bool{}
	for _, e := range ents {
		link, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		if err != nil || !strings.Contains(link, "memfd:"+conn.MemfdPrefix) || !strings.Contains(link, name) {
			continue
		}
		var fd int
		fmt.Sscan(e.Name(), &fd)
		fds[fd] = true
	}
	return fds
}

// Close racing with both sides in full flow, from a third goroutine: every
// call ends with an error of the connection's end, no view is unmapped
// under its reader or writer (that would be a fault, not an error), -race
// sees no race, and the rings are let go.
// It runs with frame mode's gate-free sides and with the gated ones that
// systems without membarrier(2) take.
func TestFramesCloseRacesTraffic(t *testing.T) {
	for _, light := range []bool{true, false} {
		t.Run(fmt.Sprintf("light=%v", light), func(t *testing.T) {
			defer conn.SetLightSides(light)()
			closeRacesTraffic(t)
		})
	}
}

func closeRacesTraffic(t *testing.T) {
	base := ringMappings(t)
	for round := range 20 {
		a, b, err := conn.Pipe(conn.WithRingSize(4 << 10))
		if err != nil {
			t.Fatal(err)
		}
		fa, fb := mustFrames(t, a), mustFrames(t, b)
		ctx := testCtx(t)
		sent, got := make(chan error, 1), make(chan error, 1)
		go func() {
			for i := 0; ; i++ {
				v, err := fa.Acquire(ctx, i%300)
				if err != nil {
					sent <- err
					return
				}
				for j := range v {
					v[j] = byte(i)
				}
				if err := fa.Commit(len(v), shmring.TypeID(i)); err != nil {
					sent <- err
					return
				}
			}
		}()
		go func() {
			batch := make([]shmring.Frame, 8)
			for {
				n, err := fb.Drain(ctx, batch)
				for _, fr := range batch[:n] {
					for _, x := range fr.Payload {
						if x != byte(fr.Type) {
							got <- fmt.Errorf("frame %d holds %d", fr.Type, x)
							fb.Release()
							return
						}
					}
				}
				fb.Release()
				if err != nil {
					got <- err
					return
				}
			}
		}()
		victim := a
		if round%2 == 1 {
			victim = b
		}
		poll(t, 10*time.Second, "traffic", func() bool { tx, _ := a.Stats(); return tx.Frames > 100 })
		victim.Close()
		for name, ch := range map[string]chan error{"sender": sent, "receiver": got} {
			err := within(t, ch, 10*time.Second, name)
			switch {
			case errors.Is(err, net.ErrClosed), errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNRESET), err == io.EOF:
			default:
				t.Fatalf("round %d: %s ended with %v", round, name, err)
			}
		}
		a.Close()
		b.Close()
	}
	poll(t, 10*time.Second, "the rings to be unmapped", func() bool { return ringMappings(t) <= base })
}
