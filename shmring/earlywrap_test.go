package shmring

import (
	"encoding/binary"
	"testing"
	"unsafe"
)

// offsetOf is the physical offset of a producer's view in r.
func offsetOf(r *Ring, view []byte) uint64 {
	return uint64(uintptr(unsafe.Pointer(unsafe.SliceData(view)))-uintptr(unsafe.Pointer(unsafe.SliceData(r.data)))) - HeaderSize
}

// sendSeq writes one frame of n bytes carrying seq and returns where it went.
func sendSeq(t *testing.T, r *Ring, p *Producer, n int, seq uint64) uint64 {
	t.Helper()
	b, err := p.Acquire(n)
	if err != nil {
		t.Fatalf("frame %d: %v", seq, err)
	}
	off := offsetOf(r, b)
	binary.LittleEndian.PutUint64(b, seq)
	if err := p.Commit(n, 1); err != nil {
		t.Fatal(err)
	}
	return off
}

// recvSeq takes one frame and checks that it carries seq.
func recvSeq(t *testing.T, c *Consumer, seq uint64) {
	t.Helper()
	f, err := c.Acquire()
	if err != nil {
		t.Fatalf("frame %d: %v", seq, err)
	}
	if got := binary.LittleEndian.Uint64(f.Payload); got != seq {
		t.Fatalf("frame %d carries %d", seq, got)
	}
	if err := c.Commit(); err != nil {
		t.Fatal(err)
	}
}

// A producer whose consumer keeps up stays within its early-wrap position
// and a frame, and every frame arrives in order.
func TestEarlyWrapKeepsToTheStart(t *testing.T) {
	const at, size = 4096, 100
	r, p, c := openPair(t, 64<<10, []Option{WithEarlyWrap(at)}, nil)
	wraps := 0
	for seq := range uint64(1000) {
		off := sendSeq(t, r, p, size, seq)
		if off >= at+uint64(slotSize(size)) {
			t.Fatalf("frame %d at offset %d, past %d and a frame", seq, off, at)
		}
		if off == 0 && seq > 0 {
			wraps++
		}
		recvSeq(t, c, seq)
	}
	if want := 1000 * slotSize(size) / (at + slotSize(size)); wraps < want {
		t.Fatalf("%d early wraps, want at least %d", wraps, want)
	}
}

// A producer does not wrap early while its consumer holds frames, and does
// once the consumer has taken them all, within a sixteenth of the ring.
func TestEarlyWrapWaitsForAnEmptyRing(t *testing.T) {
	const capacity, at, size = 64 << 10, 4096, 100
	slot := uint64(slotSize(size))
	r, p, c := openPair(t, capacity, []Option{WithEarlyWrap(at)}, nil)
	var seq uint64
	for ; seq < 40; seq++ { // past the position, nothing consumed
		if off := sendSeq(t, r, p, size, seq); off != seq*slot {
			t.Fatalf("frame %d at offset %d, want %d: wrapped with frames unread", seq, off, seq*slot)
		}
	}
	for i := range seq {
		recvSeq(t, c, i)
	}
	limit := 40*slot + capacity/16 + slot
	for sent := seq; ; seq++ {
		off := sendSeq(t, r, p, size, seq)
		recvSeq(t, c, seq)
		if off == 0 {
			break
		}
		if off > limit {
			t.Fatalf("no early wrap by offset %d (frame %d, %d after the ring emptied)", off, seq, seq-sent)
		}
	}
}

func TestEarlyWrapOptions(t *testing.T) {
	if _, err := testRing(t, 4096).Producer(WithEarlyWrap(-1)); err == nil {
		t.Fatal("WithEarlyWrap(-1) accepted")
	}
	// WithTachyonWrap keeps Tachyon's layout: frames run on to the end.
	const at, size = 1024, 100
	slot := uint64(slotSize(size))
	r, p, c := openPair(t, 8192, []Option{WithEarlyWrap(at), WithTachyonWrap()}, nil)
	for seq := range uint64(20) {
		if off := sendSeq(t, r, p, size, seq); off != seq*slot {
			t.Fatalf("frame %d at offset %d, want %d", seq, off, seq*slot)
		}
		recvSeq(t, c, seq)
	}
}
