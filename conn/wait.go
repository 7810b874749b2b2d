package conn

import "context"

// How a blocked call waits: on its ring side, whose Wait the read or write
// deadline bounds (SetReadDeadline and SetWriteDeadline pass it on), and
// for the frame API also on a context, which interrupts the side when it is
// done (the side's WaitContext, which registers once per context, not once
// per wait). A context that can never be done costs nothing.

// waitData parks until the peer's ring may hold a frame.
func (c *Conn) waitData(ctx context.Context) error {
	if ctx.Done() == nil {
		return c.waitError(c.rx.Wait())
	}
	return c.ctxWaitError(ctx, c.rx.WaitContext(ctx))
}

// waitRoom parks until a frame of n payload bytes may fit in our ring.
func (c *Conn) waitRoom(ctx context.Context, n int) error {
	if ctx.Done() == nil {
		return c.waitError(c.tx.Wait(n))
	}
	return c.ctxWaitError(ctx, c.tx.WaitContext(ctx, n))
}

// ctxWaitError is waitError for a wait that ctx may have cut short: a wait
// that returned because ctx is done fails with ctx's error.
func (c *Conn) ctxWaitError(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil && (err == nil || err == cerr) {
		return ctxError(ctx)
	}
	return c.waitError(err)
}
