package shmring

import "context"

// ctxHook makes a context's cancellation interrupt a side's waits, for
// AcquireContext and Send. Registering context.AfterFunc for every wait
// costs two allocations a wait, on the hot path of every ping-pong that
// passes a context; the hook registers once per context instead and keeps
// the registration while the same context comes back. A cancellation that
// fires while no wait is in progress interrupts the next one, which
// returns nil ("try again"), as Interrupt documents. Owned by the side's
// goroutine, like the side.
type ctxHook struct {
	ctx  context.Context // the context registered; nil for none
	stop func() bool
}

// interrupter is a side: Producer or Consumer. Taking it rather than a
// func value keeps the method value (an allocation) off the common path.
type interrupter interface{ Interrupt() }

// arm makes ctx's cancellation interrupt side. A context that can never be
// cancelled needs no registration.
func (h *ctxHook) arm(ctx context.Context, side interrupter) {
	if ctx == h.ctx || ctx.Done() == nil {
		return
	}
	h.disarm()
	h.ctx, h.stop = ctx, context.AfterFunc(ctx, side.Interrupt)
}

// disarm drops the registration, so that the context no longer holds the
// side.
func (h *ctxHook) disarm() {
	if h.stop != nil {
		h.stop()
		h.ctx, h.stop = nil, nil
	}
}
