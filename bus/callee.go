package bus

import (
	"context"
	"fmt"

	"github.com/tachyon-ipc/tachyon-go/shmring"
)

// Callee takes requests from an RPC bus and replies to them in the order
// they came, which a Tachyon caller requires. It is meant for one goroutine
// at a time.
type Callee struct {
	req     *Consumer // fwd
	resp    *Producer // rev
	pending []uint64  // ids served and not yet replied to, oldest first
}

// Request is a request taken by Serve. Payload is a view into the ring,
// valid until the replies to it and to every request served before it have
// been sent.
type Request struct {
	ID      uint64 // correlation id, to pass to Reply
	MsgType uint16
	Payload []byte
}

// Handler computes the reply to one request. The request payload is valid
// only during the call; the returned reply may alias it.
type Handler func(req Request) (msgType uint16, reply []byte)

// MaxPayload returns the largest reply this callee sends (see
// TachyonMaxPayload).
func (c *Callee) MaxPayload() int { return c.resp.MaxPayload() }

// Serve waits until ctx is done for the next request.
func (c *Callee) Serve(ctx context.Context) (Request, error) {
	f, err := c.req.AcquireContext(ctx)
	if err != nil {
		return Request{}, err
	}
	c.pending = append(c.pending, f.CorrelationID)
	return Request{ID: f.CorrelationID, MsgType: f.Type.MsgType(), Payload: f.Payload}, nil
}

// Reply sends the reply of type msgType to request id, which must be the
// oldest request served and not yet replied to (ErrOutOfOrder otherwise),
// waiting for room until ctx is done. payload may alias that request's
// payload.
func (c *Callee) Reply(ctx context.Context, id uint64, msgType uint16, payload []byte) error {
	if len(c.pending) == 0 || c.pending[0] != id {
		want := "none"
		if len(c.pending) > 0 {
			want = fmt.Sprint(c.pending[0])
		}
		return fmt.Errorf("%w: reply to request %d, but the oldest request without a reply is %s", ErrOutOfOrder, id, want)
	}
	b, err := c.resp.AcquireContext(ctx, len(payload))
	if err != nil {
		return err
	}
	copy(b, payload)
	if err := c.resp.CommitCorrelated(len(payload), shmring.MakeTypeID(0, msgType), id); err != nil {
		return err
	}
	if err := c.resp.Flush(); err != nil {
		return err
	}
	c.pending = c.pending[1:]
	if len(c.pending) == 0 {
		return c.req.Commit() // release the requests' ring space
	}
	return nil
}

// ServeFunc serves requests with h, one at a time, until ctx is done or the
// bus fails, and returns why it stopped.
func (c *Callee) ServeFunc(ctx context.Context, h Handler) error {
	for {
		req, err := c.Serve(ctx)
		if err != nil {
			return err
		}
		t, reply := h(req)
		if err := c.Reply(ctx, req.ID, t, reply); err != nil {
			return err
		}
	}
}

// Close closes both ring sides; the RPCBus still owns the rings.
func (c *Callee) Close() error {
	c.req.Close()
	return c.resp.Close()
}
