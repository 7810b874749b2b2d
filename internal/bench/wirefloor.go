package bench

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/tachyon-ipc/tachyon-go/shmring"
)

// The wire-format floor probe: two processes bounce a 32-byte frame through
// two rings laid out as Tachyon's wire version 4 (ABI.md), with nothing but
// the memory accesses the format demands. The sender writes the frame
// header's size and reserved_size, copies the payload after the header and
// stores head; the receiver spins on head, reads the header and the payload
// and stores tail. No validation, no wrap, no wake-up words, no statistics:
// it bounds what any implementation of the format can do on this machine.
//
// Where the cache-line floor moves one line per hop, a wire-v4 hop moves
// three from the sender's core to the receiver's: the slot's header line,
// its first payload line (the payload starts 64 bytes after the header) and
// the line of head (offset 128 of the control block). The receiver loads a
// word of both slot lines while it polls head, as shmring's consumer does,
// so the three transfers can overlap instead of following one another (a
// variant without those loads measured slower); what the hop still costs above the cache-line floor is the price of the format,
// not of any code. Tail (offset 256) is written by the receiver and never
// read here, as a producer with room to spare never reads it: its line
// stays in the receiver's cache.
//
// Both sides spin and yield as the cache-line floor's do.

const roleWireFloor = "bench-wire-floor"

// Probe geometry: one memfd holds two rings back to back, ring 0 from the
// measuring process to the peer, ring 1 back.
const (
	wireSize = 32       // payload bytes of every frame
	wireCap  = 64 << 10 // data area of each ring
	// wireSlot is a frame's slot, header included; it divides wireCap, so
	// no frame ever wraps.
	wireSlot    = (shmring.HeaderSize + wireSize + shmring.MsgAlignment - 1) &^ (shmring.MsgAlignment - 1)
	wireRingLen = shmring.ControlSize + wireCap
	wireSegLen  = 2 * wireRingLen
)

// wireSlot divides wireCap, or this does not compile.
var _ = [1]int{}[wireCap%wireSlot]

// Offsets of wire v4 (ABI.md §1 and §2) that shmring keeps to itself.
const (
	wireOffHead     = 128 // u64 in the control block
	wireOffTail     = 256 // u64 in the control block
	wireOffSize     = 0   // u32 in the frame header
	wireOffReserved = 8   // u32 in the frame header
)

// wireStop as a frame's size tells the peer to return.
const wireStop = 0

// wireRing is one side of one ring of the probe.
type wireRing struct {
	head, tail *uint64
	data       unsafe.Pointer // the data area, wireCap bytes
	pos        uint64         // the next frame's index: head when sending, tail when receiving
}

// wireRings returns ring i of a mapped probe segment.
func wireRingAt(mem []byte, i int) *wireRing {
	base := unsafe.Pointer(&mem[i*wireRingLen])
	return &wireRing{
		head: (*uint64)(unsafe.Add(base, wireOffHead)),
		tail: (*uint64)(unsafe.Add(base, wireOffTail)),
		data: unsafe.Add(base, shmring.ControlSize),
	}
}

// storeRelease stores v with release semantics: a plain MOV on amd64, where
// no store passes an earlier one, an atomic store elsewhere.
func storeRelease(p *uint64, v uint64) {
	if runtime.GOARCH == "amd64" {
		*p = v
	} else {
		atomic.StoreUint64(p, v)
	}
}

// send writes one frame of the given size field carrying msg and publishes
// it.
func (r *wireRing) send(size uint32, msg *[wireSize]byte) {
	hdr := unsafe.Add(r.data, r.pos&(wireCap-1))
	*(*uint32)(unsafe.Add(hdr, wireOffSize)) = size
	*(*uint32)(unsafe.Add(hdr, wireOffReserved)) = wireSlot
	m := *msg // through registers: no memmove call
	*(*[wireSize]byte)(unsafe.Add(hdr, shmring.HeaderSize)) = m
	r.pos += wireSlot
	storeRelease(r.head, r.pos)
}

// recv waits for the next frame, copies its payload into out, frees its
// slot and returns its size field. Every spinChecks polls it asks check
// whether to go on, then yields its CPU.
func (r *wireRing) recv(out *[wireSize]byte, check func() error) (uint32, error) {
	pos := r.pos
	hdr := unsafe.Add(r.data, pos&(wireCap-1))
	first := unsafe.Add(hdr, shmring.HeaderSize)
	for i := 1; atomic.LoadUint64(r.head) == pos; i++ {
		atomic.LoadUint32((*uint32)(hdr)) // fetch the slot's lines with head
		atomic.LoadUint32((*uint32)(first))
		if i%spinChecks == 0 {
			if err := check(); err != nil {
				return 0, err
			}
			yieldCPU()
		}
	}
	size := *(*uint32)(unsafe.Add(hdr, wireOffSize))
	m := *(*[wireSize]byte)(first)
	*out = m
	r.pos = pos + wireSlot
	storeRelease(r.tail, r.pos)
	return size, nil
}

func runWireFloor(_ context.Context, p Params) (Result, error) {
	mem, s, done, err := startProbe("tachyon-bench-wire-floor", wireSegLen, roleWireFloor, p)
	if err != nil {
		return Result{}, err
	}
	defer done()
	tx, rx := wireRingAt(mem, 0), wireRingAt(mem, 1)
	deadline := time.Now().Add(p.Limit())
	alive := func() error { return s.alive(deadline) }
	msg, got := [wireSize]byte(payload(wireSize)), [wireSize]byte{}
	res, err := MeasureRTT(p, func() error {
		tx.send(wireSize, &msg)
		size, err := rx.recv(&got, alive)
		if err == nil && size != wireSize {
			err = fmt.Errorf("%w (size field %d for %d)", ErrBadEcho, size, wireSize)
		}
		return err
	})
	if err == nil && got != msg {
		err = ErrBadEcho
	}
	res.Bytes = res.Msgs * wireSize
	tx.send(wireStop, &msg)
	return res, s.Close(err)
}

func wireFloorPeer(ctx context.Context, ch *Channel) error {
	mem, done, err := attachProbe(ch, wireSegLen, "wire floor probe")
	if err != nil {
		return err
	}
	defer done()
	rx, tx := wireRingAt(mem, 0), wireRingAt(mem, 1)
	var buf [wireSize]byte
	for {
		size, err := rx.recv(&buf, ctx.Err)
		if err != nil || size == wireStop {
			return err
		}
		tx.send(size, &buf)
	}
}
