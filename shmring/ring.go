package shmring

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"sync/atomic"
	"unsafe"

	"github.com/tachyon-ipc/tachyon-go/internal/sys"
)

// Ring is one direction of a Tachyon ring buffer: the control block and data
// area of one segment. A ring has exactly one Producer and one Consumer,
// usually in different processes; each process opens the side it plays with
// Producer or Consumer.
type Ring struct {
	seg  *Segment
	cap  uint64 // data bytes, a power of two
	mask uint64 // cap - 1
	ctl  []byte // control block, mem[:ControlSize]
	data []byte // data area, mem[ControlSize:ControlSize+cap]

	// Words of the control block, typed for atomic access.
	state            *atomic.Uint32
	head             *atomic.Uint64
	tail             *atomic.Uint64
	consumerSleeping *atomic.Uint32
	producerSleeping *atomic.Uint32
	producerFlags    *atomic.Uint32
	consumerFlags    *atomic.Uint32
	producerStats    *statsBlock
	consumerStats    *statsBlock
}

// Create makes a new ring of the given capacity in a fresh sealed memfd
// named name, formats its control block and marks it ready. Options such as
// WithNUMANode place its memory.
func Create(name string, capacity int, opts ...CreateOption) (*Ring, error) {
	if err := CheckCapacity(capacity); err != nil {
		return nil, err
	}
	cfg := defaultCreateConfig()
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	seg, err := NewSegment(name, SegmentSize(capacity))
	if err != nil {
		return nil, err
	}
	if cfg.numaNode >= 0 {
		if err := bindNUMANode(seg.mem, cfg.numaNode); err != nil {
			seg.Close()
			return nil, err
		}
	}
	r := newRing(seg, capacity)
	r.format()
	return r, nil
}

// Attach maps a ring segment received from a peer (fd stays the caller's)
// and checks its control block: sealed, exactly the stated size, Tachyon's
// magic, wire version 4, 64-byte alignment, the expected capacity, ready, and
// indices that make sense.
func Attach(fd int, capacity int) (*Ring, error) {
	if err := CheckCapacity(capacity); err != nil {
		return nil, err
	}
	seg, err := AttachSegment(fd, SegmentSize(capacity))
	if err != nil {
		return nil, err
	}
	r := newRing(seg, capacity)
	if err := r.checkHeader(); err != nil {
		seg.Close()
		return nil, err
	}
	return r, nil
}

// CheckCapacity reports whether capacity is a valid ring capacity: a power of
// two between MinCapacity and MaxCapacity.
func CheckCapacity(capacity int) error {
	if capacity < MinCapacity || capacity > MaxCapacity || bits.OnesCount64(uint64(capacity)) != 1 {
		return fmt.Errorf("shmring: capacity %d must be a power of two between %d and %d", capacity, MinCapacity, MaxCapacity)
	}
	return nil
}

func newRing(seg *Segment, capacity int) *Ring {
	mem := seg.mem
	r := &Ring{
		seg:  seg,
		cap:  uint64(capacity),
		mask: uint64(capacity) - 1,
		ctl:  mem[:ControlSize:ControlSize],
		data: mem[ControlSize : ControlSize+capacity : ControlSize+capacity],
	}
	r.state = u32At(mem, offState)
	r.head = u64At(mem, offHead)
	r.tail = u64At(mem, offTail)
	r.consumerSleeping = u32At(mem, offConsumerSleeping)
	r.producerSleeping = u32At(mem, offProducerSleeping)
	r.producerFlags = u32At(mem, offProducerFlags)
	r.consumerFlags = u32At(mem, offConsumerFlags)
	r.producerStats = (*statsBlock)(unsafe.Pointer(&mem[offProducerStats]))
	r.consumerStats = (*statsBlock)(unsafe.Pointer(&mem[offConsumerStats]))
	return r
}

// u32At and u64At type a control-block word for atomic access. The mapping
// is page-aligned and every offset is a multiple of the word size.
func u32At(mem []byte, off int) *atomic.Uint32 { return (*atomic.Uint32)(unsafe.Pointer(&mem[off])) }
func u64At(mem []byte, off int) *atomic.Uint64 { return (*atomic.Uint64)(unsafe.Pointer(&mem[off])) }

// format writes a fresh control block (the segment is zero-filled by the
// kernel) and publishes the ready state last.
func (r *Ring) format() {
	ne := binary.NativeEndian
	r.state.Store(uint32(StateInitializing))
	ne.PutUint32(r.ctl[offMagic:], Magic)
	ne.PutUint32(r.ctl[offVersion:], WireVersion)
	ne.PutUint32(r.ctl[offCapacity:], uint32(r.cap))
	ne.PutUint32(r.ctl[offAlignment:], MsgAlignment)
	ne.PutUint32(r.ctl[offExtMagic:], ExtMagic)
	ne.PutUint32(r.ctl[offExtVersion:], ExtVersion)
	r.state.Store(uint32(StateReady))
}

// checkHeader validates a received control block.
func (r *Ring) checkHeader() error {
	ne := binary.NativeEndian
	if m := ne.Uint32(r.ctl[offMagic:]); m != Magic {
		return fmt.Errorf("shmring: %w: segment magic %#x, expected %#x", ErrABIMismatch, m, Magic)
	}
	if v := ne.Uint32(r.ctl[offVersion:]); v != WireVersion {
		return fmt.Errorf("shmring: %w: ring speaks wire version %d, we speak %d", ErrABIMismatch, v, WireVersion)
	}
	if c := ne.Uint32(r.ctl[offCapacity:]); uint64(c) != r.cap {
		return fmt.Errorf("shmring: %w: ring capacity %d, handshake said %d", ErrABIMismatch, c, r.cap)
	}
	if a := ne.Uint32(r.ctl[offAlignment:]); a != MsgAlignment {
		return fmt.Errorf("shmring: %w: message alignment %d, expected %d", ErrABIMismatch, a, MsgAlignment)
	}
	if s := State(r.state.Load()); s != StateReady {
		return fmt.Errorf("shmring: ring is not ready (state %d)", s)
	}
	return r.checkIndices(r.head.Load(), r.tail.Load())
}

// checkIndices reports whether head and tail, as loaded from shared memory,
// can describe this ring: whole slots, and head at most a ring ahead of tail.
func (r *Ring) checkIndices(head, tail uint64) error {
	if head-tail > r.cap || head%MsgAlignment != 0 || tail%MsgAlignment != 0 {
		return corruptf("indices head=%d tail=%d do not fit capacity %d", head, tail, r.cap)
	}
	return nil
}

// Capacity returns the size of the data area in bytes.
func (r *Ring) Capacity() int { return int(r.cap) }

// MaxPayload returns the largest payload one frame can carry in this ring.
func (r *Ring) MaxPayload() int { return MaxPayload(int(r.cap)) }

// Fd returns the ring's memfd, for passing to a peer. The ring owns it.
func (r *Ring) Fd() int { return r.seg.Fd() }

// Prefault brings every page of this process's mapping of the ring into
// memory now, so that no frame takes a first-touch page fault later. By
// default pages arrive as the ring is used, which keeps an idle ring's
// memory to its first page. Prefault writes nothing into the ring.
func (r *Ring) Prefault() error {
	if !r.seg.enter() {
		return ErrClosed
	}
	defer r.seg.exit()
	return sys.Prefault(r.seg.mem)
}

// State returns the ring's lifecycle word.
func (r *Ring) State() State { return State(r.state.Load()) }

// Close releases this process's mapping of the ring. The Producer and
// Consumer opened on it keep the mapping until they are closed, until one
// of their calls returns ErrClosed with no view outstanding, or until the
// garbage collector finds them unreachable; views still held stay valid
// until they are committed or rolled back, as long as their side is
// reachable. Close does not signal the peer: close the Producer or Consumer
// first for that.
func (r *Ring) Close() error { return r.seg.Close() }

// fail records corruption in the shared state word, as Tachyon does, and
// returns err.
func (r *Ring) fail(err error) error {
	r.state.Store(uint32(StateFatal))
	return err
}

// stats snapshots a side's counters while the mapping is guaranteed alive.
func (r *Ring) stats(b *statsBlock) Stats {
	if !r.seg.enter() {
		return Stats{}
	}
	defer r.seg.exit()
	return b.snapshot()
}

// Fill returns how many bytes the producer has published and the consumer
// has not yet released, as seen in shared memory now.
func (r *Ring) Fill() int {
	if !r.seg.enter() {
		return 0
	}
	defer r.seg.exit()
	d := r.head.Load() - r.tail.Load()
	return int(min(d, r.cap))
}
