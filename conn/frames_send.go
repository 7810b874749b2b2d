package conn

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"

	"github.com/tachyon-ipc/tachyon-go/shmring"
)

// The sending side of frame mode: a view inside our ring, held under the
// writing gate from Acquire until Commit or Rollback.

// errNoView is the error of Commit without a view acquired.
var errNoView = errors.New("conn: commit without a view acquired")

// Acquire returns a writable view of exactly n bytes inside our ring,
// waiting for room until the write deadline or ctx ends the wait. Fill it,
// then publish it with Commit or abandon it with Rollback; until then the
// view stays valid, also across Close, and no other frame can be acquired
// (shmring.ErrBusy). End it also after Close: until then the rings stay
// mapped.
//
// n above MaxPayload fails at once with a *shmring.TooLargeError. An
// expired ctx fails Acquire before it looks at the ring, as an expired
// write deadline does.
func (f *Frames) Acquire(ctx context.Context, n int) ([]byte, error) {
	// The common case, room in the ring, without the layers of acquire:
	// gate-free where the process barrier allows (light_side.go).
	c := f.c
	if !f.wrHeld && n >= 0 && c.lightTx.usable() {
		if b, ok := f.acquireLight(ctx, n); ok {
			return b, nil
		}
	} else if !f.wrHeld && n >= 0 && c.wrMu.tryLock() {
		if c.writable() == nil && ctx.Err() == nil {
			if b, err := c.tx.Acquire(n); err == nil {
				f.wrHeld = true
				return b, nil
			}
		}
		c.unlockWrite()
	}
	b, err := f.acquire(ctx, n)
	return b, c.opError("write", err)
}

func (f *Frames) acquire(ctx context.Context, n int) ([]byte, error) {
	c := f.c
	switch limit := c.tx.MaxPayload(); {
	case f.wrHeld:
		return nil, shmring.ErrBusy
	case n < 0:
		return nil, fmt.Errorf("conn: negative frame size %d", n)
	case n > limit:
		return nil, &shmring.TooLargeError{Size: n, Max: limit}
	}
	if !c.wrMu.lock(c.closing) {
		return nil, net.ErrClosed
	}
	b, err := f.reserve(ctx, n)
	if err != nil {
		c.unlockWrite()
		return nil, err
	}
	f.wrHeld = true
	return b, nil
}

func (f *Frames) reserve(ctx context.Context, n int) ([]byte, error) {
	c := f.c
	if err := c.writable(); err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		return nil, ctxError(ctx)
	}
	return c.reserve(ctx, n, n)
}

// Commit publishes the first n bytes of the acquired view as a frame of
// type t (by convention shmring.MakeTypeID(route, msgType)); with
// WithPublishEvery the publication may wait for more frames or Flush. An n
// larger than the view fails and keeps the view. A Commit after Close or
// CloseWrite, or once the peer is gone, drops the frame and fails with
// net.ErrClosed or EPIPE; the write deadline does not apply to it.
func (f *Frames) Commit(n int, t shmring.TypeID) error {
	c := f.c
	if f.wrHeld && !c.closed.Load() && !c.shutWr.Load() && !c.peerGone.Load() && c.tx.Commit(n, t) == nil {
		f.endWrite()
		return nil
	}
	return c.opError("write", f.commit(n, t))
}

func (f *Frames) commit(n int, t shmring.TypeID) error {
	c := f.c
	if !f.wrHeld {
		return errNoView
	}
	var err error
	switch {
	case c.closed.Load():
		err = net.ErrClosed
	case c.shutWr.Load(), c.peerGone.Load():
		err = syscall.EPIPE
	default:
		if err := c.tx.Commit(n, t); err != nil {
			return err // a bad n: the view stays
		}
		f.endWrite()
		return nil
	}
	c.tx.Rollback()
	f.endWrite()
	return err
}

// Rollback abandons the acquired view; nothing is published. Without a view
// it does nothing.
func (f *Frames) Rollback() {
	if f.wrHeld {
		f.c.tx.Rollback()
		f.endWrite()
	}
}

// endWrite lets go of the writing side held since Acquire.
func (f *Frames) endWrite() {
	f.wrHeld = false
	if f.wrLight {
		f.wrLight = false
		f.leaveSendLight()
		return
	}
	f.c.unlockWrite() // after Close: releases the writing side
}

// Flush publishes every committed frame now. Without WithPublishEvery,
// Commit has already published them all.
func (f *Frames) Flush() error {
	c := f.c
	if !f.wrHeld {
		if !c.wrMu.lock(c.closing) {
			return c.opError("write", net.ErrClosed)
		}
		defer c.unlockWrite()
	}
	if c.closed.Load() {
		return c.opError("write", net.ErrClosed)
	}
	if err := c.tx.Flush(); err != nil {
		return c.opError("write", c.txError(err))
	}
	return nil
}

// acquireLight is Acquire's gate-free fast path (light_side.go); ok false
// means "take the gated path", with the use ended.
func (f *Frames) acquireLight(ctx context.Context, n int) (b []byte, ok bool) {
	c := f.c
	if c.lightTx.enter() && c.writable() == nil && ctx.Err() == nil {
		if b, err := c.tx.Acquire(n); err == nil {
			f.wrHeld, f.wrLight = true, true
			return b, true
		}
	}
	f.leaveSendLight()
	return nil, false
}

// leaveSendLight ends a gate-free send, settling the writing side if a Close or
// CloseWrite left it to us.
func (f *Frames) leaveSendLight() {
	if f.c.lightTx.leave() {
		f.c.settleWrite()
	}
}
