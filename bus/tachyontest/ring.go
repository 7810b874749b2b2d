package tachyontest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
	"unsafe"

	"github.com/tachyon-ipc/tachyon-go/internal/sys"
)

// Wire constants, written down from the specification (ABI.md §1–§2) rather
// than taken from package shmring, so that each implementation checks the
// other.
const (
	Magic        = 0x54414348 // "TACH"
	Version      = 4
	Alignment    = 64  // msg_alignment, and the frame header size
	ControlSize  = 768 // control block before the data area
	HeaderSize   = 64
	WrapMarker   = 0xFFFFFFFF
	BatchSize    = 32 // Tachyon publishes head and tail every 32 commits
	StateReady   = 2
	StateFatal   = 4
	sleepAwake   = 0
	sleepAsleep  = 1
	sleepSpin    = 2
	offMagic     = 0
	offVersion   = 4
	offCapacity  = 8
	offAlignment = 12
	offState     = 16
	offHead      = 128
	offTail      = 256
	offSleeping  = 384
)

// Ring is one Tachyon ring mapped into this process: raw access to its
// control block and data area.
type Ring struct {
	fd   int
	mem  []byte
	data []byte
	cap  uint64

	state    *atomic.Uint32
	head     *atomic.Uint64
	tail     *atomic.Uint64
	sleeping *atomic.Uint32
}

// ErrABIMismatch is returned when a handshake or control block is not one a
// Tachyon connector accepts.
var ErrABIMismatch = errors.New("tachyontest: ABI mismatch")

// Create makes and formats a ring as Tachyon's listener does: a sealed
// memfd of 768+capacity bytes, magic, version, capacity, alignment, zeroed
// indices, then state 2 (ready). Bytes Tachyon does not define stay zero.
func Create(name string, capacity int) (*Ring, error) {
	if capacity < Alignment || capacity&(capacity-1) != 0 {
		return nil, fmt.Errorf("tachyontest: capacity %d is not a power of two ≥ 64", capacity)
	}
	size := ControlSize + capacity
	fd, err := sys.CreateSealedMemfd(name, size)
	if err != nil {
		return nil, err
	}
	mem, err := sys.MapShared(fd, size)
	if err != nil {
		sys.Close(fd)
		return nil, err
	}
	r := newRing(fd, mem, uint64(capacity))
	ne := binary.NativeEndian
	ne.PutUint32(mem[offMagic:], Magic)
	ne.PutUint32(mem[offVersion:], Version)
	ne.PutUint32(mem[offCapacity:], uint32(capacity))
	ne.PutUint32(mem[offAlignment:], Alignment)
	r.head.Store(0)
	r.tail.Store(0)
	r.sleeping.Store(sleepAwake)
	r.state.Store(StateReady)
	return r, nil
}

// Join maps a received ring the way Tachyon's connector does: it trusts the
// size the handshake stated (no fstat, no seal check) and checks only the
// magic, the alignment and that the capacity is a power of two that fits.
// Join owns fd from then on, also on error.
func Join(fd int, size int) (*Ring, error) {
	if size < ControlSize {
		sys.Close(fd)
		return nil, fmt.Errorf("%w: segment of %d bytes", ErrABIMismatch, size)
	}
	mem, err := sys.MapShared(fd, size)
	if err != nil {
		sys.Close(fd)
		return nil, err
	}
	ne := binary.NativeEndian
	capacity := uint64(ne.Uint32(mem[offCapacity:]))
	switch {
	case ne.Uint32(mem[offMagic:]) != Magic, ne.Uint32(mem[offAlignment:]) != Alignment,
		capacity < Alignment, capacity&(capacity-1) != 0, uint64(size) < ControlSize+capacity:
		sys.Unmap(mem)
		sys.Close(fd)
		return nil, fmt.Errorf("%w: control block refused", ErrABIMismatch)
	}
	return newRing(fd, mem, capacity), nil
}

func newRing(fd int, mem []byte, capacity uint64) *Ring {
	return &Ring{
		fd: fd, mem: mem, cap: capacity,
		data:     mem[ControlSize : ControlSize+capacity],
		state:    (*atomic.Uint32)(unsafe.Pointer(&mem[offState])),
		head:     (*atomic.Uint64)(unsafe.Pointer(&mem[offHead])),
		tail:     (*atomic.Uint64)(unsafe.Pointer(&mem[offTail])),
		sleeping: (*atomic.Uint32)(unsafe.Pointer(&mem[offSleeping])),
	}
}

// Fd returns the ring's memfd, for sending in a handshake. The ring owns it.
func (r *Ring) Fd() int { return r.fd }

// Capacity returns the size of the data area.
func (r *Ring) Capacity() int { return int(r.cap) }

// Mem returns the whole mapping: control block then data area.
func (r *Ring) Mem() []byte { return r.mem }

// State returns the state word (2 ready, 4 fatal).
func (r *Ring) State() uint32 { return r.state.Load() }

// SetFatal stores state 4, as Tachyon does on a protocol violation.
func (r *Ring) SetFatal() { r.state.Store(StateFatal) }

// Head and Tail return the published indices.
func (r *Ring) Head() uint64 { return r.head.Load() }

// Tail returns the consumer's published tail.
func (r *Ring) Tail() uint64 { return r.tail.Load() }

// ConsumerSleeping returns the consumer_sleeping word: 0 awake, 1 asleep on
// the futex, 2 pure spin.
func (r *Ring) ConsumerSleeping() uint32 { return r.sleeping.Load() }

// Close unmaps the ring and closes its descriptor.
func (r *Ring) Close() error {
	err := sys.Unmap(r.mem)
	sys.Close(r.fd)
	return err
}

// slot returns the bytes a frame of n payload bytes reserves.
func slot(n int) uint64 { return (HeaderSize + uint64(n) + Alignment - 1) &^ (Alignment - 1) }
