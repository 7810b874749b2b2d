package conn

import "context"

// How a blocked call waits: on its ring side, whose Wait the read or write
// deadline bounds (SetReadDeadline and SetWriteDeadline pass it on), and
// for the frame API also on a context, which interrupts the side when it is
// done. A context that can never be done costs nothing.

// waitData parks until the peer's ring may hold a frame.
func (c *Conn) waitData(ctx context.Context) error {
	if ctx.Done() == nil {
		return c.waitError(c.rx.Wait())
	}
	if ctx.Err() != nil {
		return ctxError(ctx)
	}
	stop := context.AfterFunc(ctx, c.rx.Interrupt)
	err := c.rx.Wait()
	stop()
	return c.ctxWaitError(ctx, err)
}

// waitRoom parks until a frame of n payload bytes may fit in our ring.
func (c *Conn) waitRoom(ctx context.Context, n int) error {
	if ctx.Done() == nil {
		return c.waitError(c.tx.Wait(n))
	}
	if ctx.Err() != nil {
		return ctxError(ctx)
	}
	stop := context.AfterFunc(ctx, c.tx.Interrupt)
	err := c.tx.Wait(n)
	stop()
	return c.ctxWaitError(ctx, err)
}

// ctxWaitError is waitError for a wait that ctx may have interrupted: a
// wait that returned because ctx is done fails with ctx's error.
func (c *Conn) ctxWaitError(ctx context.Context, err error) error {
	if err == nil && ctx.Err() != nil {
		return ctxError(ctx)
	}
	return c.waitError(err)
}
