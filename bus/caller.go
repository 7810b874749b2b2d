package bus

import (
	"context"
	"fmt"

	"github.com/tachyon-ipc/tachyon-go/shmring"
)

// Caller sends requests on an RPC bus and takes their replies in call
// order. Correlation ids start at 1, as Tachyon's. It is meant for one
// goroutine at a time.
type Caller struct {
	req  *Producer // fwd
	resp *Consumer // rev
	next uint64    // id of the next call
	due  uint64    // oldest call whose reply has not been taken
	held bool      // a reply view is outstanding
	err  error     // sticky: the peer broke the reply order
}

// Reply is a reply taken by Wait. Payload is a view into the ring, valid
// until Release or the next Wait.
type Reply struct {
	ID      uint64 // correlation id of the call
	MsgType uint16
	Payload []byte
}

// MaxPayload returns the largest request this caller sends (see
// TachyonMaxPayload).
func (c *Caller) MaxPayload() int { return c.req.MaxPayload() }

// Call sends a request of type msgType (type_id route 0, as Tachyon's
// tachyon_rpc_call), waiting for room until ctx is done, and returns its
// correlation id. Several calls may be in flight; take their replies in
// order with Wait.
func (c *Caller) Call(ctx context.Context, msgType uint16, payload []byte) (uint64, error) {
	if c.err != nil {
		return 0, c.err
	}
	b, err := c.req.AcquireContext(ctx, len(payload))
	if err != nil {
		return 0, err
	}
	copy(b, payload)
	id := c.next
	if err := c.req.CommitCorrelated(len(payload), shmring.MakeTypeID(0, msgType), id); err != nil {
		return 0, err
	}
	c.next++
	return id, c.req.Flush()
}

// Wait waits until ctx is done for the reply to call id, which must be the
// oldest call whose reply has not been taken (Tachyon callees reply strictly
// in order). It releases the previous reply first. A reply carrying another
// id means the peer broke the protocol: the Caller then fails for good with
// ErrOutOfOrder.
func (c *Caller) Wait(ctx context.Context, id uint64) (Reply, error) {
	if c.err != nil {
		return Reply{}, c.err
	}
	if id != c.due || id >= c.next {
		return Reply{}, fmt.Errorf("%w: waiting for call %d, but the next reply due is for call %d (%d calls made)",
			ErrOutOfOrder, id, c.due, c.next-1)
	}
	if err := c.Release(); err != nil {
		return Reply{}, err
	}
	f, err := c.resp.AcquireContext(ctx)
	if err != nil {
		return Reply{}, err
	}
	c.held = true
	if f.CorrelationID != id {
		c.err = fmt.Errorf("%w: peer replied to call %d while call %d was due", ErrOutOfOrder, f.CorrelationID, id)
		return Reply{}, c.err
	}
	c.due++
	return Reply{ID: id, MsgType: f.Type.MsgType(), Payload: f.Payload}, nil
}

// Release gives the ring space of the last reply back to the callee; its
// Payload becomes invalid.
func (c *Caller) Release() error {
	if !c.held {
		return nil
	}
	c.held = false
	return c.resp.Commit()
}

// Invoke calls, waits for the reply, copies its payload into buf (growing
// it as needed) and releases it.
func (c *Caller) Invoke(ctx context.Context, msgType uint16, payload, buf []byte) (uint16, []byte, error) {
	id, err := c.Call(ctx, msgType, payload)
	if err != nil {
		return 0, nil, err
	}
	r, err := c.Wait(ctx, id)
	if err != nil {
		return 0, nil, err
	}
	buf = append(buf[:0], r.Payload...)
	return r.MsgType, buf, c.Release()
}

// Close closes both ring sides; the RPCBus still owns the rings.
func (c *Caller) Close() error {
	c.resp.Close()
	return c.req.Close()
}
