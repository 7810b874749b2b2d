package shmring

import "context"

// ctxHook makes a context's end interrupt a side's waits, for
// AcquireContext, Send and WaitContext. A registration with
// context.AfterFunc costs allocations (the registration, its stop function,
// the method value), and one left in place holds the side and fires when
// its context ends, however long after its wait. So the hook registers a
// context for one wait and drops the registration after it, unless the
// same context (the same Done channel) came to the wait before it: a
// context that keeps coming back (a connection's reader waiting with the
// connection's context, a ping-pong with one context) stays registered
// until another context comes or the side closes, and its waits cost
// nothing. When a kept context ends between waits, the next wait returns
// nil ("look again"), as Interrupt documents. Owned by the side's
// goroutine, like the side.
type ctxHook struct {
	done <-chan struct{} // the Done channel of the last context that waited
	stop func() bool     // its registration, while there is one
	keep bool            // keep the registration after the wait
}

// interrupter is a side: Producer or Consumer. Taking it rather than a
// func value keeps the method value (an allocation) off the common path.
type interrupter interface{ Interrupt() }

// arm makes ctx's end interrupt side during the wait that follows, which
// settle ends. A context that can never end needs no registration, one
// that has ended none either: it interrupts the wait at once. Contexts are
// told apart by their Done channels, which compare whatever type the
// context is; an open one belongs to one context (and those derived from it
// without a cancellation of their own), while a closed one may be shared:
// a context that ends before anyone asked for its Done channel hands out
// the same closed channel as every other such context.
func (h *ctxHook) arm(ctx context.Context, side interrupter) {
	done := ctx.Done()
	if done == nil {
		return
	}
	select {
	case <-done:
		side.Interrupt()
		return
	default:
	}
	if done == h.done {
		if h.stop == nil { // back for a second wait: keep it from now on
			h.stop, h.keep = context.AfterFunc(ctx, side.Interrupt), true
		}
		return
	}
	h.disarm()
	h.done, h.stop, h.keep = done, context.AfterFunc(ctx, side.Interrupt), false
}

// settle ends a wait: a registration made for that wait alone is dropped.
func (h *ctxHook) settle() {
	if h.stop != nil && !h.keep {
		h.stop()
		h.stop = nil
	}
}

// disarm drops any registration, so that no context holds the side.
func (h *ctxHook) disarm() {
	if h.stop != nil {
		h.stop()
	}
	h.done, h.stop, h.keep = nil, nil, false
}
