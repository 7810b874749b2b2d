package shmring

import (
	"fmt"
	"math"
	"unsafe"
)

// Number is the set of fixed-size numeric types a payload can be viewed as.
// int, uint and uintptr are left out on purpose: their size depends on the
// platform, so they do not describe bytes that cross a process boundary.
type Number interface {
	~int8 | ~int16 | ~int32 | ~int64 |
		~uint8 | ~uint16 | ~uint32 | ~uint64 |
		~float32 | ~float64 | ~complex64 | ~complex128
}

// View returns f's payload as a []T that aliases the ring: no copy, Go's
// answer to Tachyon's DLPack export. The payload must hold a whole number of
// elements (else ErrViewLength) and start on T's alignment (else
// ErrViewAlignment); payloads always start 64-byte aligned, so only frames
// the peer did not write as a []T fail.
//
// The view is valid until the Consumer's next Commit, like the payload
// itself: copy what must outlive it. Elements are in native byte order, as
// every integer of the wire format. A malicious peer can change the values
// while you read them, never the view's length or location.
func View[T Number](f Frame) ([]T, error) { return ViewBytes[T](f.Payload) }

// ViewBytes returns b as a []T that aliases it, with the same checks as View.
// It serves both sides: a frame's payload, or a buffer from
// (*Producer).Acquire.
func ViewBytes[T Number](b []byte) ([]T, error) {
	size, align := unsafe.Sizeof(*new(T)), unsafe.Alignof(*new(T))
	if uintptr(len(b))%size != 0 {
		return nil, fmt.Errorf("%w: %d bytes for %T elements of %d bytes", ErrViewLength, len(b), *new(T), size)
	}
	if len(b) == 0 {
		return []T{}, nil
	}
	p := unsafe.Pointer(unsafe.SliceData(b))
	if uintptr(p)%align != 0 {
		return nil, fmt.Errorf("%w: %T needs %d-byte alignment", ErrViewAlignment, *new(T), align)
	}
	return unsafe.Slice((*T)(p), uintptr(len(b))/size), nil
}

// AcquireView is (*Producer).Acquire for n elements of T: a writable []T
// inside the ring. Fill it, then publish it with CommitView (or Rollback).
func AcquireView[T Number](p *Producer, n int) ([]T, error) {
	size := int(unsafe.Sizeof(*new(T)))
	if n < 0 {
		return nil, fmt.Errorf("shmring: negative view length %d", n)
	}
	if n > p.r.MaxPayload()/size {
		return nil, &TooLargeError{Size: n * min(size, math.MaxInt/n), Max: p.r.MaxPayload()}
	}
	b, err := p.Acquire(n * size)
	if err != nil {
		return nil, err
	}
	v, err := ViewBytes[T](b)
	if err != nil {
		p.Rollback() // cannot happen: slots start 64-byte aligned
		return nil, err
	}
	return v, nil
}

// CommitView commits the first len(v) elements of the view AcquireView
// returned as a frame of type t; pass v[:k] to send fewer than acquired.
func CommitView[T Number](p *Producer, v []T, t TypeID) error {
	return p.Commit(len(v)*int(unsafe.Sizeof(*new(T))), t)
}
