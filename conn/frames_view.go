package conn

import (
	"context"
	"fmt"
	"math"
	"unsafe"

	"github.com/tachyon-ipc/tachyon-go/shmring"
)

// Typed views on frame mode. On the receiving side shmring.View[T] works on
// the frames Next and Drain return; these are the sending side's.

// AcquireView is (*Frames).Acquire for n elements of T: a writable []T
// inside our ring. Fill it, then publish it with CommitView (or Rollback).
func AcquireView[T shmring.Number](ctx context.Context, f *Frames, n int) ([]T, error) {
	size := int(unsafe.Sizeof(*new(T)))
	if n < 0 {
		return nil, f.c.opError("write", fmt.Errorf("conn: negative view length %d", n))
	}
	if limit := f.MaxPayload(); n > limit/size {
		return nil, f.c.opError("write", &shmring.TooLargeError{Size: n * min(size, math.MaxInt/n), Max: limit})
	}
	b, err := f.Acquire(ctx, n*size)
	if err != nil {
		return nil, err
	}
	v, err := shmring.ViewBytes[T](b)
	if err != nil {
		f.Rollback() // cannot happen: payloads start 64-byte aligned
		return nil, f.c.opError("write", err)
	}
	return v, nil
}

// CommitView commits the first len(v) elements of the view AcquireView
// returned as a frame of type t; pass v[:k] to send fewer than acquired.
func CommitView[T shmring.Number](f *Frames, v []T, t shmring.TypeID) error {
	return f.Commit(len(v)*int(unsafe.Sizeof(*new(T))), t)
}
