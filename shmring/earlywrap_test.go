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
	if want := 1000 * slotSize(size) / (at + 2*slotSize(size)); wraps < want {
		t.Fatalf("%d early wraps, want at least %d", wraps, want)
	}
}

// A producer does not wrap early while its consumer holds frames, and does
// once the consumer has taken them all, within an eighth of its position.
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
	limit := 40*slot + at/8 + slot
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

// After an early wrap at least n bytes of room stay free while the
// consumer has not read the frame; an acquire of a partial view or a
// rollback leaves no marker behind; a batching producer wraps early too.
func TestEarlyWrapRoomAndViews(t *testing.T) {
	const capacity, at, size = 16 << 10, 4096, 100
	slot := uint64(slotSize(size))
	r, p, c := openPair(t, capacity, []Option{WithEarlyWrap(at), WithPublishEvery(4)}, nil)
	var seq uint64
	for ; seq*slot < at+slot; seq++ { // up to the early-wrap position
		sendSeq(t, r, p, size, seq)
	}
	if err := p.Flush(); err != nil {
		t.Fatal(err)
	}
	for i := range seq {
		recvSeq(t, c, i)
	}
	b, err := p.AcquireUpTo(size, 2*size) // the ring is empty: a whole view at offset 0
	if err != nil || len(b) != 2*size || offsetOf(r, b) != 0 {
		t.Fatalf("AcquireUpTo = %d bytes at %d, %v; want %d at 0", len(b), offsetOf(r, b), err, 2*size)
	}
	p.Rollback()
	if off := sendSeq(t, r, p, size, seq); off != 0 {
		t.Fatalf("frame after the rollback at %d, want 0", off)
	}
	// Unread, the wrapped frame and its marker hold the rest of the ring;
	// at least n bytes remain.
	room := 0
	for {
		_, err := p.Acquire(size)
		if err == ErrFull {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Commit(size, 1); err != nil {
			t.Fatal(err)
		}
		room += int(slot)
	}
	if room < at {
		t.Fatalf("%d bytes of room after an early wrap, want at least %d", room, at)
	}
}

// An early-wrap position at or beyond the ring's capacity never applies;
// SetEarlyWrap turns it on for an open producer.
func TestEarlyWrapSet(t *testing.T) {
	const capacity, size = 8192, 100
	slot := uint64(slotSize(size))
	r, p, c := openPair(t, capacity, []Option{WithEarlyWrap(capacity)}, nil)
	var want uint64 // where the frame goes without an early wrap
	for seq := range uint64(200) {
		if capacity-want < slot {
			want = 0
		}
		if off := sendSeq(t, r, p, size, seq); off != want {
			t.Fatalf("frame %d at offset %d, want %d", seq, off, want)
		}
		want += slot
		recvSeq(t, c, seq)
	}
	if err := p.SetEarlyWrap(-1); err == nil {
		t.Fatal("SetEarlyWrap(-1) accepted")
	}
	if err := p.SetEarlyWrap(1024); err != nil {
		t.Fatal(err)
	}
	for seq := uint64(200); seq < 400; seq++ {
		if off := sendSeq(t, r, p, size, seq); off >= 1024+slot {
			t.Fatalf("frame %d at offset %d after SetEarlyWrap(1024)", seq, off)
		}
		recvSeq(t, c, seq)
	}
}
