package shmring_test

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"testing"
	"time"
	"unsafe"

	"github.com/tachyon-ipc/tachyon-go/internal/sys"
	"github.com/tachyon-ipc/tachyon-go/shmring"
)

// The counters match a known workload exactly, seen from the sides
// themselves, from the ring, and from a read-only mapping as tachyon-top
// makes it.
func TestStatsExact(t *testing.T) {
	const capacity = 4096
	r, err := shmring.Create("tachyon-go-stats-test", capacity)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// Doorbells make parks unbounded, so the park and wake counts are exact
	// (a futex park re-checks on a timer).
	data, dataRinger, err := shmring.NewDoorbellPair()
	if err != nil {
		t.Fatal(err)
	}
	defer data.Close()
	defer dataRinger.Close()
	space, spaceRinger, err := shmring.NewDoorbellPair()
	if err != nil {
		t.Fatal(err)
	}
	defer space.Close()
	defer spaceRinger.Close()
	p, err := r.Producer(shmring.WithDoorbells(space, dataRinger), shmring.WithSpin(0))
	if err != nil {
		t.Fatal(err)
	}
	c, err := r.Consumer(shmring.WithDoorbells(data, spaceRinger), shmring.WithSpin(0))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), psGuard)
	defer cancel()

	// 1. Ten frames of 0, 10, …, 90 bytes, one publication each; the
	// consumer drains them as one batch and publishes its tail once.
	for i := range 10 {
		if _, err := p.Acquire(i * 10); err != nil {
			t.Fatal(err)
		}
		if err := p.Commit(i*10, 1); err != nil {
			t.Fatal(err)
		}
	}
	frames := make([]shmring.Frame, 10)
	if n, err := c.Drain(frames); n != 10 || err != nil {
		t.Fatalf("drain: %d, %v", n, err)
	}
	c.Commit()
	if _, err := c.Acquire(); !errors.Is(err, shmring.ErrEmpty) {
		t.Fatalf("acquire on an empty ring: %v", err)
	}

	// 2. The consumer parks on an empty ring; one frame of 5 bytes wakes
	// it with exactly one wake.
	got := make(chan error, 1)
	go func() {
		f, err := c.AcquireContext(ctx)
		if err == nil && string(f.Payload) != "hello" {
			err = errors.New("wrong frame")
		}
		c.Commit()
		got <- err
	}()
	if err := psUntil(ctx, func() bool { return c.Stats().Parks == 1 }); err != nil {
		t.Fatal("consumer never parked")
	}
	if err := p.Send(ctx, 1, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatal(err)
	}

	// 3. A consumer wait that meets its deadline counts as a wait.
	c.SetDeadline(time.Unix(1, 0))
	if err := c.Wait(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("consumer wait: %v", err)
	}

	// 4. Fill the ring with 960-byte frames (1024-byte slots). The ring
	// holds 1408+128 = 1536 released bytes, so two slots fit before the
	// end, a 512-byte wrap marker follows, one slot fits at 0, and then
	// the ring is full: 3 frames, 3584 bytes in flight.
	k := 0
	for {
		_, err := p.Acquire(960)
		if errors.Is(err, shmring.ErrFull) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		p.Commit(960, 2)
		k++
	}
	p.SetDeadline(time.Unix(1, 0))
	if err := p.Wait(960); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("producer wait: %v", err)
	}

	wantP := shmring.Stats{Frames: 14, Bytes: 450 + 5 + 960*3, Publishes: 14, Wakes: 1, Waits: 1}
	wantC := shmring.Stats{Frames: 11, Bytes: 455, Publishes: 2, Parks: 1, Waits: 2}
	if k != 3 {
		t.Fatalf("%d frames filled the ring, want 3", k)
	}
	if s := p.Stats(); s != wantP {
		t.Errorf("producer stats\n got %+v\nwant %+v", s, wantP)
	}
	if s := c.Stats(); s != wantC {
		t.Errorf("consumer stats\n got %+v\nwant %+v", s, wantC)
	}
	if f := r.Fill(); f != 3584 {
		t.Errorf("Fill = %d, want 3584", f)
	}

	// The same, read from a read-only mapping of the memfd.
	ro, err := sys.MapReadOnly(r.Fd(), shmring.SegmentSize(capacity))
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Unmap(ro)
	in, err := shmring.Inspect(ro)
	if err != nil {
		t.Fatal(err)
	}
	if in.Producer != wantP || in.Consumer != wantC || in.Fill != 3584 || in.Capacity != capacity ||
		!in.Extended || in.State != shmring.StateReady || in.Head-in.Tail != 3584 ||
		in.ProducerEOF || in.ConsumerGone {
		t.Errorf("Inspect of a read-only mapping: %+v", in)
	}
	p.Close()
	c.Close()
	if in, _ := shmring.Inspect(ro); !in.ProducerEOF || !in.ConsumerGone {
		t.Errorf("after Close: %+v", in)
	}
}

func TestInspectRefusesOtherBytes(t *testing.T) {
	r, err := shmring.Create("tachyon-go-inspect-test", 4096)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ro, err := sys.MapReadOnly(r.Fd(), shmring.SegmentSize(4096))
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Unmap(ro)
	if _, err := shmring.Inspect(ro[:shmring.ControlSize-1]); !errors.Is(err, shmring.ErrNotRing) {
		t.Errorf("short block: %v", err)
	}
	if _, err := shmring.Inspect(ro[8:]); !errors.Is(err, shmring.ErrNotRing) {
		t.Errorf("block at the wrong place: %v", err)
	}
	buf := make([]uint64, shmring.ControlSize/8)
	zeros := unsafeBytes(buf)
	if _, err := shmring.Inspect(zeros); !errors.Is(err, shmring.ErrNotRing) {
		t.Errorf("zero bytes: %v", err)
	}
	copy(zeros, ro[:shmring.ControlSize])
	binary.NativeEndian.PutUint32(zeros[8:], 65) // capacity 65: not a power of two
	if _, err := shmring.Inspect(zeros); !errors.Is(err, shmring.ErrNotRing) {
		t.Errorf("bad capacity: %v", err)
	}
}

// unsafeBytes views an 8-byte aligned buffer as bytes.
func unsafeBytes(b []uint64) []byte { return unsafe.Slice((*byte)(unsafe.Pointer(&b[0])), len(b)*8) }

func TestInspectFd(t *testing.T) {
	r, err := shmring.Create("tachyon-go-inspect-test", 4096)
	if err != nil {
		t.Fatal(err)
	}
	fd, err := sys.Dup(r.Fd()) // an observer's own descriptor
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close(fd)
	r.Close() // the owner goes away; the observer's descriptor keeps the file
	in, err := shmring.InspectFd(fd)
	if err != nil || in.Capacity != 4096 || !in.Extended {
		t.Fatalf("InspectFd: %+v, %v", in, err)
	}

	f, err := os.CreateTemp(t.TempDir(), "not-a-ring")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Write(make([]byte, 4096))
	if _, err := shmring.InspectFd(int(f.Fd())); !errors.Is(err, shmring.ErrNotRing) {
		t.Errorf("unsealed file: %v", err)
	}
	small, err := sys.CreateSealedMemfd("tachyon-go-small", 100)
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close(small)
	if _, err := shmring.InspectFd(small); !errors.Is(err, shmring.ErrNotRing) {
		t.Errorf("100-byte memfd: %v", err)
	}
	zero, err := sys.CreateSealedMemfd("tachyon-go-zero", 4096)
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close(zero)
	if _, err := shmring.InspectFd(zero); !errors.Is(err, shmring.ErrNotRing) {
		t.Errorf("zeroed memfd: %v", err)
	}
}
