package conn

import (
	"context"
	"net"

	"github.com/tachyon-ipc/tachyon-go/shmring"
)

// The receiving side of frame mode: views of the peer's ring, held under
// the reading gate from the call that hands them out until Release.

// Next returns the peer's next frame, waiting for one until the read
// deadline or ctx ends the wait. The frame's Payload is a read-only view
// inside the ring, valid until Release; frames from earlier Next or Drain
// calls stay valid too. Release them soon: the room they take is the
// peer's to write.
//
// After an error, views handed out before it stay valid until Release.
// An expired ctx fails Next before it looks at the ring, as an expired read
// deadline does.
func (f *Frames) Next(ctx context.Context) (shmring.Frame, error) {
	// One function from the gate to the ring. A Frame (40 bytes) is too
	// large for the compiler to keep in registers: every whole-struct copy
	// goes through the stack as 16-byte moves of what was stored 8 bytes at
	// a time, which the CPU cannot forward (a stall of a dozen cycles each).
	// So the frame comes out of the ring into f.one field by field (Drain
	// of one) and leaves in the return statement, field by field.
	c := f.c
	held, light := f.rdHeld, false
	if !held {
		// Gate-free where the process barrier allows (light_side.go).
		if c.lightRx.usable() {
			if light = c.lightRx.enter(); !light {
				f.leaveRecvLight()
			}
		}
		if !light && !c.rdMu.tryLock() && !c.rdMu.lock(c.closing) {
			return shmring.Frame{}, c.opError("read", net.ErrClosed)
		}
	}
	err := c.readable()
	if err == nil && ctx.Err() != nil {
		err = ctxError(ctx)
	}
	for err == nil {
		gone := c.peerGone.Load() // before the look: see fill
		if _, aerr := c.rx.Drain(f.one[:]); aerr != nil {
			err = c.awaitFrame(ctx, gone, aerr)
			continue
		}
		if !held {
			f.rdHeld, f.rdLight = true, light
		}
		fr := &f.one[0]
		return shmring.Frame{Payload: fr.Payload, Type: fr.Type, CorrelationID: fr.CorrelationID}, nil
	}
	switch {
	case light:
		f.leaveRecvLight()
	case !held:
		c.unlockRead()
	}
	return shmring.Frame{}, c.opError("read", err)
}

// Drain fills frames with the next frame, waiting for it as Next does, and
// with every further frame already published, up to len(frames); it
// returns how many. One Release frees them all.
func (f *Frames) Drain(ctx context.Context, frames []shmring.Frame) (int, error) {
	if len(frames) == 0 {
		return 0, nil
	}
	fr, err := f.Next(ctx)
	if err != nil {
		return 0, err
	}
	frames[0] = fr
	n, _ := f.c.rx.Drain(frames[1:]) // an error here is seen again by the next call
	return 1 + n, nil
}

// Release frees every frame Next and Drain handed out since the last
// Release, whose views become invalid: the peer may overwrite them at
// once. Using a view after Release is a bug that no check catches; copy
// what must outlive it. Release is the one call that must follow Next even
// after Close: until then the views keep the ring mapped.
func (f *Frames) Release() error {
	if !f.rdHeld {
		return nil
	}
	c := f.c
	c.rx.Commit()
	// Publish the room now, as Read does: the caller may not call Next
	// again for a while, and a peer that started waiting for room just
	// before the Commit would otherwise park on a stale tail.
	c.rx.Flush()
	f.rdHeld = false
	if f.rdLight {
		f.rdLight = false
		f.leaveRecvLight()
		return nil
	}
	c.unlockRead() // after Close: releases the reading side
	return nil
}

// leaveRecvLight ends a gate-free use of the reading side, settling it if a
// Close left it to us.
func (f *Frames) leaveRecvLight() {
	if f.c.lightRx.leave() {
		f.c.settleRead()
	}
}
