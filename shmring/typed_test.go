package shmring_test

import (
	"errors"
	"math"
	"testing"

	"github.com/tachyon-ipc/tachyon-go/shmring"
)

func typedPair(t *testing.T) (*shmring.Producer, *shmring.Consumer) {
	t.Helper()
	r, err := shmring.Create("tachyon-go-typed-test", 1<<16)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	p, err := r.Producer()
	if err != nil {
		t.Fatal(err)
	}
	c, err := r.Consumer()
	if err != nil {
		t.Fatal(err)
	}
	return p, c
}

// roundTrip sends want as a typed view and checks that the consumer's typed
// view of the frame aliases the ring and holds the same elements.
func roundTrip[T shmring.Number](t *testing.T, p *shmring.Producer, c *shmring.Consumer, want []T) {
	t.Helper()
	v, err := shmring.AcquireView[T](p, len(want)+3) // acquire more than sent
	if err != nil {
		t.Fatal(err)
	}
	copy(v, want)
	if err := shmring.CommitView(p, v[:len(want)], 7); err != nil {
		t.Fatal(err)
	}
	f, err := c.Acquire()
	if err != nil {
		t.Fatal(err)
	}
	got, err := shmring.View[T](f)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("view of %d elements, sent %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("element %d: got %v, want %v", i, got[i], want[i])
		}
	}
	if len(got) > 0 && &got[0] != &v[0] {
		t.Fatal("consumer view does not alias the producer's slot: a copy was made")
	}
	if err := c.Commit(); err != nil {
		t.Fatal(err)
	}
}

func TestViewRoundTrip(t *testing.T) {
	p, c := typedPair(t)
	f32 := make([]float32, 1000)
	for i := range f32 {
		f32[i] = float32(i) * 0.5
	}
	f32[1] = float32(math.Inf(-1))
	roundTrip(t, p, c, f32)

	u64 := make([]uint64, 777)
	for i := range u64 {
		u64[i] = math.MaxUint64 - uint64(i)*0x0101010101010101
	}
	roundTrip(t, p, c, u64)
	roundTrip(t, p, c, []complex128{1 + 2i, -3i})
	roundTrip(t, p, c, []int8{-1, 2, -3})
	roundTrip(t, p, c, []uint64{})
}

func TestViewRefusesShortPayload(t *testing.T) {
	p, c := typedPair(t)
	if _, err := p.Acquire(12); err != nil {
		t.Fatal(err)
	}
	if err := p.Commit(12, 1); err != nil {
		t.Fatal(err)
	}
	f, err := c.Acquire()
	if err != nil {
		t.Fatal(err)
	}
	if v, err := shmring.View[uint64](f); !errors.Is(err, shmring.ErrViewLength) {
		t.Fatalf("12-byte payload as []uint64: got %d elements, %v; want ErrViewLength", len(v), err)
	}
	if v, err := shmring.View[uint32](f); err != nil || len(v) != 3 {
		t.Fatalf("12-byte payload as []uint32: got %d elements, %v; want 3", len(v), err)
	}
}

func TestViewRefusesMisalignedBytes(t *testing.T) {
	p, _ := typedPair(t)
	b, err := p.Acquire(64)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Rollback()
	for _, off := range []int{1, 2, 4} {
		if _, err := shmring.ViewBytes[uint64](b[off : off+8]); !errors.Is(err, shmring.ErrViewAlignment) {
			t.Errorf("[]uint64 at offset %d: got %v, want ErrViewAlignment", off, err)
		}
	}
	if _, err := shmring.ViewBytes[float32](b[2:6]); !errors.Is(err, shmring.ErrViewAlignment) {
		t.Errorf("[]float32 at offset 2: got %v, want ErrViewAlignment", err)
	}
	if v, err := shmring.ViewBytes[uint16](b[2:6]); err != nil || len(v) != 2 {
		t.Errorf("[]uint16 at offset 2: got %d elements, %v", len(v), err)
	}
}

func TestAcquireViewLimits(t *testing.T) {
	p, _ := typedPair(t)
	if _, err := shmring.AcquireView[float64](p, 1<<20); !errors.Is(err, shmring.ErrTooLarge) {
		t.Fatalf("oversized view: got %v, want ErrTooLarge", err)
	}
	if _, err := shmring.AcquireView[float64](p, math.MaxInt); !errors.Is(err, shmring.ErrTooLarge) {
		t.Fatalf("huge view: got %v, want ErrTooLarge", err)
	}
	if _, err := shmring.AcquireView[float64](p, -1); err == nil {
		t.Fatal("negative view length accepted")
	}
	v, err := shmring.AcquireView[float64](p, (1<<16-shmring.HeaderSize)/8)
	if err != nil {
		t.Fatalf("largest view: %v", err)
	}
	if len(v) != (1<<16-shmring.HeaderSize)/8 {
		t.Fatalf("largest view has %d elements", len(v))
	}
	p.Rollback()
}
