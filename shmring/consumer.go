package shmring

import (
	"context"
	"encoding/binary"
	"io"
	"runtime"
	"sync/atomic"
	"time"
)

// Frame is a received frame: a read-only view of its payload inside the ring,
// valid until the Consumer's next Commit, plus its header fields.
type Frame struct {
	Payload       []byte // do not write; do not keep past Commit
	Type          TypeID
	CorrelationID uint64 // RPC rings only; zero otherwise
}

// Consumer reads frames from a ring. It is meant for one goroutine at a time:
// only SetDeadline and Interrupt may be called concurrently with the other
// methods.
//
// The zero-copy cycle is Acquire (or Drain for a batch) to get views, use
// them, then Commit to release every frame acquired so far at once.
type Consumer struct {
	r *Ring
	h *hold // the mapping stays while the consumer is open

	tail      uint64 // committed position: frames before it are released
	pos       uint64 // read position: frames in [tail, pos) are held as views
	last      uint64 // where the last acquired frame's slot starts
	published uint64 // last tail stored into shared memory
	head      uint64 // producer head as last loaded and checked
	lowWater  uint64 // SetLowWater: bytes Wait waits for; 0: one frame
	viewing   bool   // views are outstanding
	err       error  // sticky: closed or corrupt

	w     waiter
	k     waker
	fence atomic.Uint32 // storeIndex's barrier word, touched by nobody else
	st    counters
	hook  ctxHook // the context of AcquireContext's and WaitContext's waits
}

// Consumer opens the consuming side of the ring. By default it parks on
// Tachyon's futex, which any Tachyon producer wakes.
func (r *Ring) Consumer(opts ...Option) (*Consumer, error) {
	cfg := defaultConfig()
	if err := cfg.apply(opts); err != nil {
		return nil, err
	}
	c := &Consumer{r: r, st: counters{block: r.consumerStats}}
	if c.h = takeHold(c, r.seg); c.h == nil {
		return nil, ErrClosed
	}
	// The peer may have written anything since Attach checked the indices.
	tail := r.tail.Load()
	if err := r.checkIndices(r.head.Load(), tail); err != nil {
		c.h.release()
		return nil, r.fail(err)
	}
	c.tail, c.pos, c.published, c.head = tail, tail, tail, tail
	c.st.load()
	c.w = newWaiter(r.consumerSleeping, r.head, consumerFutexRecheck, &cfg, &c.st, r.seg)
	c.k = waker{word: r.producerSleeping, bell: cfg.wake, st: &c.st}
	offerFenceFree(&c.w, &c.k, r.consumerFlags, r.producerFlags)
	return c, nil
}

// Acquire returns the next frame as a view without blocking. It fails with
// ErrEmpty when no frame is ready, io.EOF when the producer has closed and
// every frame was read, and a *CorruptError when the shared memory breaks
// the protocol. Views stay valid until Commit.
func (c *Consumer) Acquire() (Frame, error) {
	start, size, err := c.take()
	if err != nil {
		return Frame{}, err
	}
	payload, t, corr := c.frameAt(start, size)
	// Built in the return statement, field by field: a Frame (40 bytes) is
	// too large for the compiler's registers, and a whole-struct copy moves
	// 16 bytes of what was stored 8 at a time, which the CPU cannot
	// forward (a stall of a dozen cycles).
	return Frame{Payload: payload, Type: t, CorrelationID: corr}, nil
}

// acquireInto is Acquire storing the frame into *f, field by field, for
// Drain: no Frame value is copied on the way.
func (c *Consumer) acquireInto(f *Frame) error {
	start, size, err := c.take()
	if err != nil {
		return err
	}
	f.Payload, f.Type, f.CorrelationID = c.frameAt(start, size)
	return nil
}

// take checks that the consumer may read, validates the frame at pos and
// moves past it, returning where its payload starts in the data area and
// its size. (One function: on a ping-pong's critical path every call
// level costs.)
func (c *Consumer) take() (start, size uint64, err error) {
	if c.err != nil || !c.h.open() {
		return 0, 0, c.cannotTake()
	}
	for {
		if c.pos == c.head {
			if h := c.r.head.Load(); h != c.head {
				if err := c.checkHead(h); err != nil {
					return 0, 0, err
				}
			}
			if c.pos == c.head {
				if err := c.empty(); err != nil {
					return 0, 0, err
				}
				continue // frames published just before the close
			}
		}
		phys := c.pos & c.r.mask
		avail := c.head - c.pos
		h := c.r.data[phys : phys+HeaderSize]
		ne := binary.NativeEndian
		size := ne.Uint32(h[hdrSize:])
		if size == WrapMarker {
			skip := c.r.cap - phys
			if skip > avail {
				return 0, 0, c.corrupt("wrap marker at %d skips %d bytes, only %d published", phys, skip, avail)
			}
			c.pos += skip
			if !c.viewing {
				c.tail = c.pos // nothing held: the marker is released at once
			}
			continue
		}
		reserved := uint64(ne.Uint32(h[hdrReservedSize:]))
		switch {
		case reserved < HeaderSize || reserved%MsgAlignment != 0:
			return 0, 0, c.corrupt("slot at %d reserves %d bytes", phys, reserved)
		case reserved > c.r.cap-phys:
			return 0, 0, c.corrupt("slot at %d reserves %d bytes, past the end of the ring", phys, reserved)
		case reserved > avail:
			return 0, 0, c.corrupt("slot at %d reserves %d bytes, only %d published", phys, reserved, avail)
		case uint64(size) > reserved-HeaderSize:
			return 0, 0, c.corrupt("slot at %d holds %d payload bytes in %d", phys, size, reserved)
		}
		c.last = c.pos
		c.pos += reserved
		c.st.addFrame(uint64(size))
		c.viewing = true
		return phys + HeaderSize, uint64(size), nil
	}
}

// cannotTake is take's error once the consumer is closed, corrupt or its
// ring closed. Held views keep the mapping: a closed ring only ends the
// batch.
func (c *Consumer) cannotTake() error {
	if c.err != nil {
		return c.err
	}
	if !c.viewing {
		c.h.release()
	}
	return ErrClosed
}

// frameAt reads the frame whose payload take located.
func (c *Consumer) frameAt(start, size uint64) (payload []byte, t TypeID, corr uint64) {
	h := c.r.data[start-HeaderSize : start]
	ne := binary.NativeEndian
	payload = c.r.data[start : start+size : start+size]
	t, corr = TypeID(ne.Uint32(h[hdrTypeID:])), ne.Uint64(h[hdrCorrelationID:])
	// The header was read through a local slice: keep c, whose cleanup
	// may let go of the mapping, alive until then.
	runtime.KeepAlive(c)
	return payload, t, corr
}

// Drain fills frames with as many ready frames as fit and returns how many.
// It returns an error only when it got none. One Commit releases them all.
func (c *Consumer) Drain(frames []Frame) (int, error) {
	n := 0
	for n < len(frames) {
		if err := c.acquireInto(&frames[n]); err != nil {
			if n > 0 {
				return n, nil
			}
			return 0, err
		}
		n++
	}
	return n, nil
}

// loadHead reads the producer's head and checks it: it only moves forward,
// in whole slots, and never more than a ring ahead of our published tail.
func (c *Consumer) loadHead() error {
	if h := c.r.head.Load(); h != c.head {
		return c.checkHead(h)
	}
	return nil
}

// checkHead takes h, a head just loaded that differs from ours, after
// checking it.
func (c *Consumer) checkHead(h uint64) error {
	if h-c.head > c.published+c.r.cap-c.head || h%MsgAlignment != 0 {
		return c.corrupt("producer head %d outside [%d, %d]", h, c.head, c.published+c.r.cap)
	}
	c.head = h
	return nil
}

// empty decides between ErrEmpty and io.EOF once no frame is ready, and
// publishes the tail of a drained ring so the producer sees all the room.
func (c *Consumer) empty() error {
	if !c.viewing && c.tail != c.published {
		c.publish()
	}
	if c.r.producerFlags.Load()&FlagClosed == 0 {
		return ErrEmpty
	}
	// The producer stores its last head before its closed flag: a head
	// loaded after seeing the flag is final.
	if err := c.loadHead(); err != nil {
		return err
	}
	if c.pos != c.head {
		return nil // more frames arrived; the caller's loop reads them
	}
	return io.EOF
}

func (c *Consumer) corrupt(format string, args ...any) error {
	c.err = c.r.fail(corruptf(format, args...))
	return c.err
}

// Commit releases every frame acquired since the last Commit; their views
// become invalid. The tail is published when the ring is drained, when a
// quarter of the ring has been released since the last publication, or when
// the producer waits for room; otherwise at the latest by Flush or Wait.
func (c *Consumer) Commit() error {
	if !c.viewing {
		return nil
	}
	c.release(c.pos)
	c.viewing = false
	if !c.h.open() {
		c.h.release() // the last view of a closed ring takes the mapping with it
	}
	return nil
}

// CommitExceptLast releases every frame acquired since the last Commit but
// the last one, whose view stays valid: a reader that stops in the middle
// of a frame frees the room of the frames it finished.
func (c *Consumer) CommitExceptLast() error {
	if c.viewing && c.last > c.tail {
		c.release(c.last)
	}
	return nil
}

// release moves the tail to pos and publishes it when the ring is drained,
// when a quarter of the ring has been released since the last publication,
// or when the producer waits for room.
func (c *Consumer) release(pos uint64) {
	c.tail = pos
	if c.pos == c.head || c.tail-c.published >= c.r.cap/4 || c.producerWaits() {
		c.publish()
	}
}

// producerWaits reports whether the producer sleeps waiting for room.
func (c *Consumer) producerWaits() bool {
	w := c.r.producerSleeping.Load()
	return w == sleeping || w == bellSleeping
}

// publish stores tail for the producer, then wakes it if it waits for room.
func (c *Consumer) publish() {
	storeIndex(c.r.tail, c.tail, &c.fence, !c.k.fenceFree)
	c.published = c.tail
	c.st.add(statPublishes, 1)
	c.k.wake()
}

// Flush publishes the released tail now.
func (c *Consumer) Flush() error {
	if !c.usable() {
		return ErrClosed
	}
	if c.tail != c.published {
		c.publish()
	}
	return nil
}

// Wait blocks until a frame may be ready, the producer closes, the deadline
// set by SetDeadline passes (os.ErrDeadlineExceeded), or Interrupt is called.
// It publishes the released tail first. A nil return means "try Acquire
// again", not a guarantee.
func (c *Consumer) Wait() error {
	if !c.usable() {
		return ErrClosed
	}
	if c.tail != c.published {
		c.publish()
	}
	if c.lowWater > 0 {
		polls := 0
		return c.w.wait(func() bool { return c.readyLowWater(&polls) })
	}
	return c.w.wait(func() bool {
		c.touchNext()
		return c.r.head.Load() != c.head || c.r.producerFlags.Load()&FlagClosed != 0
	})
}

// touchNext reads a word of each of the two lines where the next frame's
// header and first payload bytes will be. The producer writes them just
// before it stores head; a spinning consumer that asks for all three lines
// at every poll gets them in parallel, where reading the frame after head
// moved would fetch them one after the other.
func (c *Consumer) touchNext() {
	phys := c.pos & c.r.mask
	u32At(c.r.data, int(phys)).Load()
	u32At(c.r.data, int((phys+HeaderSize)&c.r.mask)).Load()
}

// AcquireContext is Acquire that waits for a frame until ctx is done.
func (c *Consumer) AcquireContext(ctx context.Context) (Frame, error) {
	for {
		f, err := c.Acquire()
		if err != ErrEmpty {
			return f, err
		}
		if err := ctx.Err(); err != nil {
			return Frame{}, err
		}
		if err := c.waitWith(ctx); err != nil {
			return Frame{}, err
		}
	}
}

// waitWith is Wait with ctx registered for it (ctxHook): the wait of
// AcquireContext and WaitContext.
func (c *Consumer) waitWith(ctx context.Context) error {
	c.hook.arm(ctx, c)
	err := c.Wait()
	c.hook.settle()
	return err
}

// WaitContext is Wait that ctx's end also cuts short; it then returns
// ctx's error. A context that comes to two waits in a row stays registered
// with the consumer (context.AfterFunc allocates) until another context
// comes or the consumer closes: its later waits cost no allocation, and if
// it ends between two waits, the next Wait returns nil early (look again,
// as after any Wait). Such a context holds the consumer while registered:
// close a consumer rather than drop it. AcquireContext waits the same way.
func (c *Consumer) WaitContext(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := c.waitWith(ctx); err != nil {
		return err
	}
	return ctx.Err()
}

// SetDeadline bounds Wait (present and future); zero means no deadline. Safe
// from any goroutine.
func (c *Consumer) SetDeadline(t time.Time) { c.w.setDeadline(t) }

// Interrupt makes a Wait in progress, or the next one, return early. Safe from
// any goroutine.
func (c *Consumer) Interrupt() { c.w.interrupt() }

// Buffered returns the bytes published by the producer that this consumer
// has not released yet, headers and padding included.
func (c *Consumer) Buffered() int { return int(c.head - c.tail) }

// Close releases any views, tells the producer that nobody reads any more
// (its Acquire fails with ErrPeerClosed) and wakes it. It lets go of the
// consumer's hold on the mapping, which the Ring's Close then releases.
func (c *Consumer) Close() error {
	if c.err == ErrClosed {
		return nil
	}
	c.err = ErrClosed
	c.viewing = false
	c.hook.disarm()
	defer c.h.release()
	if !c.h.live() {
		return nil
	}
	c.r.consumerFlags.Or(FlagClosed)
	c.k.wake()
	return nil
}

// usable reports whether the consumer may touch the mapping; with no view
// outstanding, a closed ring makes it let go.
func (c *Consumer) usable() bool {
	if c.viewing {
		return c.h.open()
	}
	return c.h.live()
}

// Stats returns this consumer's counters; safe from any goroutine. Once the
// ring is closed it returns the zero Stats.
func (c *Consumer) Stats() Stats { return c.r.stats(c.r.consumerStats) }
