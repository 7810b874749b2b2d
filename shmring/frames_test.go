package shmring

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// Frames in a single goroutine: layout, sizes, wrap, full, errors (ABI.md §2
// and §3.1).

// physOf returns the physical data offset of a view inside r; the view must
// not be empty (an empty slice need not point into the ring).
func physOf(r *Ring, b []byte) uint64 {
	return uint64(uintptr(unsafe.Pointer(unsafe.SliceData(b))) - uintptr(unsafe.Pointer(&r.data[0])))
}

func TestRoundTrip(t *testing.T) {
	r, p, c := openPair(t, 4096, nil, nil)
	for i := range 1000 {
		msg := bytes.Repeat([]byte{byte(i)}, i*7%1500)
		mustSend(t, p, TypeID(i), msg)
		mustRecv(t, c, TypeID(i), msg)
	}
	_, err := c.Acquire()
	wantErr(t, err, ErrEmpty)
	if r.Fill() != 0 || c.Buffered() != 0 {
		t.Errorf("drained ring: fill %d, buffered %d", r.Fill(), c.Buffered())
	}
}

// TestHeaderBytes checks every byte of a written header, including the
// zeroing of bytes 12–63 over stale payload.
func TestHeaderBytes(t *testing.T) {
	r, p, c := openPair(t, 1024, nil, nil)
	for i := range r.data {
		r.data[i] = 0xAA // stale bytes a previous lap could have left
	}
	b, err := p.Acquire(100)
	if err != nil {
		t.Fatal(err)
	}
	if physOf(r, b) != HeaderSize {
		t.Fatalf("first payload at %d, want %d", physOf(r, b), HeaderSize)
	}
	copy(b, "payload")
	if err := p.CommitCorrelated(7, MakeTypeID(3, 9), 0x0102030405060708); err != nil {
		t.Fatal(err)
	}
	ne := binary.NativeEndian
	h := r.data[:HeaderSize]
	if ne.Uint32(h[0:]) != 7 || ne.Uint32(h[4:]) != 3<<16|9 || ne.Uint32(h[8:]) != 192 {
		t.Errorf("header words size %d type %#x reserved %d, want 7 0x30009 192",
			ne.Uint32(h[0:]), ne.Uint32(h[4:]), ne.Uint32(h[8:]))
	}
	if ne.Uint32(h[12:]) != 0 || ne.Uint64(h[16:]) != 0x0102030405060708 {
		t.Errorf("padding %#x correlation %#x", ne.Uint32(h[12:]), ne.Uint64(h[16:]))
	}
	for i := 24; i < HeaderSize; i++ {
		if h[i] != 0 {
			t.Fatalf("header byte %d = %#x, want 0", i, h[i])
		}
	}
	if r.head.Load() != 192 {
		t.Errorf("published head %d, want 192", r.head.Load())
	}
	f, err := c.Acquire()
	if err != nil {
		t.Fatal(err)
	}
	if string(f.Payload) != "payload" || f.CorrelationID != 0x0102030405060708 || f.Type.Route() != 3 {
		t.Errorf("frame %+v", f)
	}
	c.Commit()
	mustSend(t, p, 1, []byte("plain"))
	if f, _ := c.Acquire(); f.CorrelationID != 0 {
		t.Errorf("plain Commit left correlation id %#x", f.CorrelationID)
	}
}

func TestZeroLengthFrame(t *testing.T) {
	r, p, c := openPair(t, 256, nil, nil)
	for i := range 10 { // several laps of a 4-slot ring
		b, err := p.Acquire(0)
		if err != nil || len(b) != 0 {
			t.Fatalf("Acquire(0) = %d bytes, %v", len(b), err)
		}
		if err := p.Commit(0, TypeID(i)); err != nil {
			t.Fatal(err)
		}
		if c.Buffered() != 0 || r.Fill() != HeaderSize {
			t.Fatalf("zero-length frame occupies %d bytes, want %d", r.Fill(), HeaderSize)
		}
		f, err := c.Acquire()
		if err != nil || len(f.Payload) != 0 || f.Type != TypeID(i) {
			t.Fatalf("frame %d: %d bytes type %d, %v", i, len(f.Payload), f.Type, err)
		}
		c.Commit()
	}
}

// TestReservedVersusActualSize: the slot follows the size acquired, not the
// size committed (Tachyon's reserved_size).
func TestReservedVersusActualSize(t *testing.T) {
	r, p, c := openPair(t, 4096, nil, nil)
	b, err := p.Acquire(500)
	if err != nil {
		t.Fatal(err)
	}
	copy(b, "short")
	if err := p.Commit(5, 1); err != nil {
		t.Fatal(err)
	}
	reserved := uint64(slotSize(500)) // 576
	if got := r.head.Load(); got != reserved {
		t.Fatalf("head after a 500-byte reservation committed as 5: %d, want %d", got, reserved)
	}
	if size, _, res := headerAt(r, 0); size != 5 || uint64(res) != reserved {
		t.Fatalf("header size %d reserved %d, want 5 and %d", size, res, reserved)
	}
	b, err = p.Acquire(10)
	if err != nil {
		t.Fatal(err)
	}
	if physOf(r, b) != reserved+HeaderSize {
		t.Fatalf("next payload at %d, want %d", physOf(r, b), reserved+HeaderSize)
	}
	copy(b, "second")
	p.Commit(6, 2)
	mustRecv(t, c, 1, []byte("short"))
	mustRecv(t, c, 2, []byte("second"))

	if _, err := p.Acquire(64); err != nil {
		t.Fatal(err)
	}
	if err := p.Commit(65, 3); err == nil {
		t.Error("Commit of more bytes than acquired succeeded")
	}
	if err := p.Commit(-1, 3); err == nil {
		t.Error("Commit of a negative length succeeded")
	}
	p.Rollback()
	if err := p.Commit(0, 3); err == nil {
		t.Error("Commit without Acquire succeeded")
	}
	if _, err := p.Acquire(-1); err == nil {
		t.Error("Acquire(-1) succeeded")
	}
}

func TestAcquireTwiceIsBusy(t *testing.T) {
	_, p, _ := openPair(t, 1024, nil, nil)
	if _, err := p.Acquire(10); err != nil {
		t.Fatal(err)
	}
	_, err := p.Acquire(10)
	wantErr(t, err, ErrBusy)
	_, err = p.AcquireUpTo(1, 10)
	wantErr(t, err, ErrBusy)
}

func TestTypeIDSplit(t *testing.T) {
	r, p, c := openPair(t, 1024, nil, nil)
	for _, tc := range []struct{ route, msg uint16 }{{0, 0}, {1, 2}, {0xffff, 0}, {0, 0xffff}, {0x1234, 0xabcd}, {0xffff, 0xffff}} {
		id := MakeTypeID(tc.route, tc.msg)
		if uint32(id) != uint32(tc.route)<<16|uint32(tc.msg) || id.Route() != tc.route || id.MsgType() != tc.msg {
			t.Errorf("MakeTypeID(%#x, %#x) = %#x: route %#x msg %#x", tc.route, tc.msg, uint32(id), id.Route(), id.MsgType())
		}
		mustSend(t, p, id, []byte("x"))
		if _, typ, _ := headerAt(r, (p.head-128)&r.mask); typ != uint32(id) {
			t.Errorf("type_id word %#x, want %#x", typ, uint32(id))
		}
		f, err := c.Acquire()
		if err != nil || f.Type.Route() != tc.route || f.Type.MsgType() != tc.msg {
			t.Errorf("received type %#x (%v), want route %#x msg %#x", uint32(f.Type), err, tc.route, tc.msg)
		}
		c.Commit()
	}
}

func TestRollback(t *testing.T) {
	r, p, c := openPair(t, 1024, nil, nil)
	p.Rollback() // nothing acquired: no effect
	b, err := p.Acquire(100)
	if err != nil {
		t.Fatal(err)
	}
	copy(b, "abandoned")
	p.Rollback()
	if r.head.Load() != 0 || p.head != 0 {
		t.Fatalf("rollback moved head to %d (published %d)", p.head, r.head.Load())
	}
	_, err = c.Acquire()
	wantErr(t, err, ErrEmpty)
	b2, err := p.Acquire(100)
	if err != nil || physOf(r, b2) != physOf(r, b) {
		t.Fatalf("acquire after rollback at %d (%v), want %d", physOf(r, b2), err, physOf(r, b))
	}
	copy(b2, "kept")
	p.Commit(4, 1)
	mustRecv(t, c, 1, []byte("kept"))

	// A rolled-back view that would have wrapped leaves no wrap marker.
	mustSend(t, p, 2, make([]byte, 640)) // slot [192, 896)
	mustRecv(t, c, 2, make([]byte, 640))
	pos := p.head & r.mask // 896: 128 bytes before the end
	if pos != 896 {
		t.Fatalf("set-up put head at %d, want 896", pos)
	}
	copy(r.data[pos:pos+HeaderSize], bytes.Repeat([]byte{0xAA}, HeaderSize))
	b, err = p.Acquire(300)
	if err != nil || physOf(r, b) != HeaderSize {
		t.Fatalf("acquire past the end: view at %d, %v; want a wrapped view at %d", physOf(r, b), err, HeaderSize)
	}
	p.Rollback()
	if size, _, _ := headerAt(r, pos); size != 0xAAAAAAAA || p.head&r.mask != pos {
		t.Fatalf("rollback wrote a wrap marker (size word %#x) or moved head to %d", size, p.head&r.mask)
	}
	mustSend(t, p, 3, make([]byte, 300))
	if size, _, res := headerAt(r, pos); size != WrapMarker || res != 128 {
		t.Fatalf("wrap marker at %d: size %#x reserved %d, want %#x and 128", pos, size, res, uint32(WrapMarker))
	}
	mustRecv(t, c, 3, make([]byte, 300))
}

func TestAcquireUpTo(t *testing.T) {
	const capacity = 1024
	r, p, c := openPair(t, capacity, nil, nil)
	// An empty ring grants the whole of a clamped maximum.
	b, err := p.AcquireUpTo(10, 1<<20)
	if err != nil || len(b) != capacity-HeaderSize {
		t.Fatalf("AcquireUpTo(10, 1M) on an empty ring = %d bytes, %v; want %d", len(b), err, capacity-HeaderSize)
	}
	p.Rollback()

	// Half the ring used: the view shrinks to what fits.
	mustSend(t, p, 1, make([]byte, 448)) // slot [0, 512)
	b, err = p.AcquireUpTo(0, 900)
	if err != nil || len(b) != 448 || physOf(r, b) != 512+HeaderSize {
		t.Fatalf("AcquireUpTo(0, 900) = %d bytes at %d, %v; want 448 at 576", len(b), physOf(r, b), err)
	}
	p.Rollback()
	b, err = p.AcquireUpTo(100, 200) // the maximum fits: it is granted whole
	if err != nil || len(b) != 200 {
		t.Fatalf("AcquireUpTo(100, 200) = %d bytes, %v", len(b), err)
	}
	p.Rollback()

	// Room on both sides of the end: the larger side, after a wrap, wins.
	mustSend(t, p, 2, make([]byte, 192)) // slot [512, 768)
	mustRecv(t, c, 1, make([]byte, 448)) // frees [0, 512)
	b, err = p.AcquireUpTo(0, 900)
	if err != nil || len(b) != 448 || physOf(r, b) != HeaderSize {
		t.Fatalf("AcquireUpTo(0, 900) = %d bytes at %d, %v; want 448 wrapped to %d", len(b), physOf(r, b), err, HeaderSize)
	}
	for i := range b {
		b[i] = byte(i)
	}
	if err := p.Commit(len(b), 3); err != nil {
		t.Fatal(err)
	}
	mustRecv(t, c, 2, make([]byte, 192))
	f, err := c.Acquire()
	if err != nil || f.Type != 3 || len(f.Payload) != 448 || f.Payload[447] != byte(447%256) {
		t.Fatalf("wrapped partial frame: type %d, %d bytes, %v", f.Type, len(f.Payload), err)
	}
	c.Commit()

	// The ring is empty with head at 512: a minimum that cannot fit before
	// the end makes Acquire write the wrap marker at once, then wait for the
	// consumer to skip it.
	if p.head&r.mask != 512 || r.Fill() != 0 {
		t.Fatalf("set-up: head at %d, fill %d", p.head&r.mask, r.Fill())
	}
	_, err = p.AcquireUpTo(449, 900)
	wantErr(t, err, ErrFull)
	if size, _, res := headerAt(r, 512); size != WrapMarker || res != 512 {
		t.Fatalf("no eager wrap marker at 512: size %#x reserved %d", size, res)
	}
	_, err = c.Acquire()
	wantErr(t, err, ErrEmpty)
	b, err = p.AcquireUpTo(449, 900)
	if err != nil || len(b) != 900 || physOf(r, b) != HeaderSize {
		t.Fatalf("AcquireUpTo(449, 900) after the marker = %d bytes at %d, %v", len(b), physOf(r, b), err)
	}
	p.Rollback()

	for _, bad := range [][2]int{{-1, 5}, {5, 4}} {
		if _, err := p.AcquireUpTo(bad[0], bad[1]); err == nil || errors.Is(err, ErrFull) {
			t.Errorf("AcquireUpTo(%d, %d) = %v, want a range error", bad[0], bad[1], err)
		}
	}
	_, err = p.AcquireUpTo(capacity, capacity)
	wantErr(t, err, ErrTooLarge)
}

func TestTooLarge(t *testing.T) {
	for _, capacity := range []int{64, 1024, 1 << 16} {
		t.Run(strconv.Itoa(capacity), func(t *testing.T) {
			_, p, c := openPair(t, capacity, nil, nil)
			limit := capacity - HeaderSize
			for _, n := range []int{limit + 1, capacity, 1 << 30} {
				_, err := p.Acquire(n)
				wantErr(t, err, ErrTooLarge)
				var tl *TooLargeError
				if !errors.As(err, &tl) || tl.Size != n || tl.Max != limit {
					t.Fatalf("Acquire(%d): %#v, want a *TooLargeError with Max %d", n, err, limit)
				}
				if !strings.Contains(err.Error(), strconv.Itoa(limit)) {
					t.Errorf("error %q does not state the limit %d", err, limit)
				}
				if errors.Is(err, ErrFull) {
					t.Errorf("too large reported as full")
				}
				// Blocking variants fail at once instead of waiting forever.
				_, err = p.AcquireContext(context.Background(), n)
				wantErr(t, err, ErrTooLarge)
				err = p.Send(context.Background(), 1, make([]byte, min(n, 2*capacity)))
				wantErr(t, err, ErrTooLarge)
			}
			payload := bytes.Repeat([]byte{0x5A}, limit)
			mustSend(t, p, 1, payload)
			mustRecv(t, c, 1, payload)
		})
	}
}

// TestMaxPayloadProgressesFromAnyPosition: a frame of MaxPayload bytes must
// get through whatever the physical position of head, with the non-blocking
// calls alone: Acquire writes (and publishes) the wrap marker eagerly, the
// consumer skips it, and the next Acquire finds the whole ring free. Tachyon
// only guarantees this for frames up to cap/2.
func TestMaxPayloadProgressesFromAnyPosition(t *testing.T) {
	for _, capacity := range []int{128, 1024, 4096} {
		for start := 0; start < capacity; start += HeaderSize {
			t.Run(fmt.Sprintf("cap%d/at%d", capacity, start), func(t *testing.T) {
				_, p, c := openPair(t, capacity, nil, nil)
				if start > 0 { // move head and tail to start
					mustSend(t, p, 0, make([]byte, start-HeaderSize))
					mustRecv(t, c, 0, make([]byte, start-HeaderSize))
				}
				payload := bytes.Repeat([]byte{byte(start / 64)}, capacity-HeaderSize)
				for attempt := 0; ; attempt++ {
					b, err := p.Acquire(len(payload))
					if err == nil {
						copy(b, payload)
						p.Commit(len(b), 1)
						break
					}
					wantErr(t, err, ErrFull)
					if attempt == 2 {
						t.Fatalf("no progress after %d attempts", attempt+1)
					}
					// The consumer sees only the wrap marker.
					_, err = c.Acquire()
					wantErr(t, err, ErrEmpty)
				}
				mustRecv(t, c, 1, payload)
			})
		}
	}
}

// TestWrapMarker sends frames of assorted sizes through rings from 64 bytes
// to 1 MiB, checking every wrap marker the producer writes and every frame
// the consumer reads, for several laps.
func TestWrapMarker(t *testing.T) {
	for _, capacity := range []int{64, 128, 256, 4096, 1 << 16, 1 << 20} {
		t.Run(strconv.Itoa(capacity), func(t *testing.T) {
			r, p, c := openPair(t, capacity, nil, nil)
			limit := capacity - HeaderSize
			sizes := []int{0, 1, 63, 64, 100, capacity / 3, capacity/2 - HeaderSize, capacity / 2, limit}
			var sent [][]byte // frames not yet received, in order
			receiveAll := func() {
				for len(sent) > 0 {
					mustRecv(t, c, TypeID(len(sent[0])), sent[0])
					sent = sent[1:]
				}
				_, err := c.Acquire()
				wantErr(t, err, ErrEmpty)
			}
			markers, i := 0, 0
			checkMarker := func(at uint64) {
				phys := at & r.mask
				if size, _, res := headerAt(r, phys); size != WrapMarker || uint64(res) != r.cap-phys {
					t.Fatalf("frame %d: no wrap marker at %d: size %#x reserved %d", i, phys, size, res)
				}
				markers++
			}
			for ; p.head < 24*uint64(capacity); i++ {
				n := max(0, min(sizes[i*7%len(sizes)], limit))
				msg := bytes.Repeat([]byte{byte(i)}, n)
				before := p.head
				b, err := p.Acquire(n)
				for tries := 0; errors.Is(err, ErrFull) && tries < 2; tries++ {
					if p.head != before { // Acquire wrote the wrap marker eagerly
						checkMarker(before)
						before = p.head
					}
					receiveAll()
					b, err = p.Acquire(n)
				}
				if err != nil {
					t.Fatalf("frame %d (%d bytes) at head %d: %v", i, n, p.head, err)
				}
				copy(b, msg)
				p.Commit(n, TypeID(n))
				sent = append(sent, msg)
				// A frame that does not start where head was follows a wrap
				// marker there, and starts at 0.
				if start := (p.head - uint64(slotSize(n))) & r.mask; start != before&r.mask {
					if start != 0 {
						t.Fatalf("frame %d starts at %d, head was at %d", i, start, before&r.mask)
					}
					checkMarker(before)
				}
			}
			receiveAll()
			if capacity > HeaderSize && markers == 0 {
				t.Error("no wrap marker was written")
			}
			t.Logf("%d frames, %d wrap markers", i, markers)
		})
	}
}

// TestFullThenDrained fills a ring to exactly 100 % (Tachyon keeps no empty
// slot), drains it and fills it again, for several laps of the indices.
func TestFullThenDrained(t *testing.T) {
	const capacity = 4096
	payload := make([]byte, 448) // 512-byte slots: eight fill the ring
	r, p, c := openPair(t, capacity, nil, nil)
	for lap := range 4 {
		for i := range 8 {
			payload[0] = byte(lap*8 + i)
			mustSend(t, p, TypeID(lap*8+i), payload)
		}
		if r.Fill() != capacity || p.head-r.tail.Load() != capacity {
			t.Fatalf("lap %d: full ring holds %d bytes, want %d", lap, r.Fill(), capacity)
		}
		for _, n := range []int{0, 1, 448} {
			_, err := p.Acquire(n)
			wantErr(t, err, ErrFull)
		}
		_, err := p.AcquireUpTo(0, 448)
		wantErr(t, err, ErrFull)
		for i := range 8 {
			payload[0] = byte(lap*8 + i)
			mustRecv(t, c, TypeID(lap*8+i), payload)
		}
		if r.Fill() != 0 {
			t.Fatalf("lap %d: drained ring still holds %d bytes", lap, r.Fill())
		}
		_, err = c.Acquire()
		wantErr(t, err, ErrEmpty)
	}
	// Slots that do not divide the ring: 21 slots of 192 bytes leave 64,
	// room for one zero-length frame.
	for i := range 21 {
		mustSend(t, p, TypeID(i), make([]byte, 128))
	}
	mustSend(t, p, 21, nil)
	if r.Fill() != capacity {
		t.Fatalf("ring of 21+1 frames holds %d bytes, want %d", r.Fill(), capacity)
	}
	_, err := p.Acquire(0)
	wantErr(t, err, ErrFull)
	for i := range 21 {
		mustRecv(t, c, TypeID(i), make([]byte, 128))
	}
	mustRecv(t, c, 21, nil)
	// The same 64 bytes are too small for a one-byte frame: Acquire fills
	// them with a wrap marker at once, which the consumer skips.
	for i := range 21 {
		mustSend(t, p, TypeID(i), make([]byte, 128))
	}
	_, err = p.Acquire(1)
	wantErr(t, err, ErrFull)
	if size, _, res := headerAt(r, 21*192); size != WrapMarker || res != 64 {
		t.Fatalf("no wrap marker in the last 64 bytes: size %#x reserved %d", size, res)
	}
	for i := range 21 {
		mustRecv(t, c, TypeID(i), make([]byte, 128))
	}
	_, err = c.Acquire()
	wantErr(t, err, ErrEmpty)
	if r.Fill() != 0 || p.head&r.mask != 0 {
		t.Fatalf("after the marker: fill %d, head at %d", r.Fill(), p.head&r.mask)
	}
	mustSend(t, p, 22, []byte("x"))
	mustRecv(t, c, 22, []byte("x"))
}
