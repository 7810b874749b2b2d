package conn

import (
	"bytes"
	"errors"
	"io"
	"os"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/shmring"
)

// within receives from ch, failing the test if nothing arrives within 30 s:
// a bug shows as a failure naming what hung, not as a stuck test binary.
func within[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(30 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// roundTrip writes msg on a and reads it back on b, bounded by a deadline.
func roundTrip(t *testing.T, a, b *Conn, msg []byte) {
	t.Helper()
	b.SetReadDeadline(time.Now().Add(10 * time.Second))
	errc := make(chan error, 1)
	go func() {
		_, err := a.Write(msg)
		errc <- err
	}()
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(b, got); err != nil {
		t.Fatal(err)
	}
	if err := within(t, errc, "the writer"); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, msg) {
		t.Fatal("payload mismatch")
	}
}

func TestPureSpinPipe(t *testing.T) {
	a, b, err := Pipe(WithRingSize(MinRingSize), WithPureSpin(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	defer b.Close()
	msg := bytes.Repeat([]byte("pure-spin "), 5000) // wraps a 4 KiB ring many times
	roundTrip(t, a, b, msg)
	roundTrip(t, b, a, msg)
	atx, arx := a.Stats()
	btx, brx := b.Stats()
	if w := atx.Wakes + arx.Wakes + btx.Wakes + brx.Wakes; w != 0 {
		t.Fatalf("pure-spin ends sent %d wake-ups, want 0", w)
	}
}

// TestFutexStagePipe: with no spin and a futex stage, every blocked call
// parks on the futex word first; a stream that wraps a small ring many times
// in both directions arrives intact, and the parks were woken.
func TestFutexStagePipe(t *testing.T) {
	a, b, err := Pipe(WithRingSize(MinRingSize), WithSpin(0), WithFutexStage(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	defer b.Close()
	msg := bytes.Repeat([]byte("futex stage "), 5000)
	roundTrip(t, a, b, msg)
	roundTrip(t, b, a, msg)
	atx, arx := a.Stats()
	btx, brx := b.Stats()
	if w := atx.Wakes + arx.Wakes + btx.Wakes + brx.Wakes; w == 0 {
		t.Fatal("no wake-ups: the sides never parked")
	}
	if _, _, err := Pipe(WithFutexStage(-time.Second)); err == nil {
		t.Fatal("a negative futex stage was accepted")
	}
}

func TestNUMANodeOption(t *testing.T) {
	a, b, err := Pipe(WithNUMANode(0))
	if err != nil {
		t.Fatalf("node 0: %v", err)
	}
	roundTrip(t, a, b, []byte("on node 0"))
	a.Close()
	b.Close()
	if _, _, err := Pipe(WithNUMANode(4095)); !errors.Is(err, shmring.ErrNoNUMANode) {
		t.Fatalf("node 4095: got %v, want ErrNoNUMANode", err)
	}
}

// A Pipe's peer is this process: its RemoteAddr says so, instead of zero
// credentials that would read as root.
func TestPipeRemoteAddrIsThisProcess(t *testing.T) {
	a, b, err := Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	defer b.Close()
	for _, c := range []*Conn{a, b} {
		r := c.RemoteAddr().(*Addr)
		if r.PID != os.Getpid() || r.UID != os.Getuid() || r.GID != os.Getgid() {
			t.Fatalf("RemoteAddr %+v, want pid %d uid %d gid %d", r, os.Getpid(), os.Getuid(), os.Getgid())
		}
	}
}
