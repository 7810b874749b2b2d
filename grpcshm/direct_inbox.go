package grpcshm

import (
	"fmt"
	"math/bits"
	"sync"
)

// inbox is one call's received messages, assembled as their chunks arrive
// (one copy out of the ring, into a pooled buffer). It also keeps the
// receiving end of the call's flow control: the sender may have at most
// window message bytes beyond what we granted back, and we grant bytes
// back as the application consumes them (a popped message, or the part of
// a message being assembled while the application waits for it, so that a
// message larger than the window still flows). All of it is guarded by the
// connection's mutex.
type inbox struct {
	limit  int // the largest message accepted
	window int // the receive window announced to the sender

	msgs   [][]byte // complete messages not yet consumed
	queued int      // bytes in msgs
	asm    []byte   // the message being assembled
	asmLen int      // its stated length

	received int64 // message bytes received
	granted  int64 // bytes granted back with window frames
	err      error // a limit or the protocol was broken: the call fails, further chunks are dropped
}

func newInbox(limit int, window uint32) inbox { return inbox{limit: limit, window: int(window)} }

// add takes one chunk, copying it.
func (in *inbox) add(data []byte, msgLen uint32, end bool) {
	if in.err != nil {
		return
	}
	if in.received += int64(len(data)); in.received-in.granted > int64(in.window) {
		in.fail(fmt.Errorf("%w: the sender exceeded its window of %d bytes", errBadFrame, in.window))
		return
	}
	if in.asm == nil {
		if int64(msgLen) > int64(in.limit) {
			in.fail(errMsgTooLarge(true, int(msgLen), in.limit))
			return
		}
		in.asm, in.asmLen = getBuf(int(msgLen)), int(msgLen)
	}
	if int(msgLen) != in.asmLen || len(in.asm)+len(data) > in.asmLen {
		in.fail(fmt.Errorf("%w: message chunks exceed the stated %d bytes", errBadFrame, in.asmLen))
		return
	}
	in.asm = append(in.asm, data...)
	if end {
		if len(in.asm) != in.asmLen {
			in.fail(fmt.Errorf("%w: a message of %d bytes stated %d", errBadFrame, len(in.asm), in.asmLen))
			return
		}
		in.msgs = append(in.msgs, in.asm)
		in.queued += len(in.asm)
		in.asm = nil
	}
}

// idle reports whether nothing is queued, assembled or failed.
func (in *inbox) idle() bool { return len(in.msgs) == 0 && in.asm == nil && in.err == nil }

// consume counts a whole message of n bytes that the application took
// straight from the ring; it reports false (and counts nothing) if the
// message breaks the window or the size limit, which add then reports.
func (in *inbox) consume(n int) bool {
	if n > in.limit || in.received+int64(n)-in.granted > int64(in.window) {
		return false
	}
	in.received += int64(n)
	return true
}

func (in *inbox) fail(err error) {
	in.err = err
	putBuf(in.asm)
	in.asm = nil
}

// ready reports whether the application has something to act on: a
// message, an error, or enough of a message being assembled to grant.
func (in *inbox) ready() bool {
	return len(in.msgs) > 0 || in.err != nil || (in.asm != nil && in.grantable() >= int64(in.window/4))
}

// pop takes the next complete message; the caller returns its buffer with
// putBuf once decoded.
func (in *inbox) pop() ([]byte, bool) {
	if len(in.msgs) == 0 {
		return nil, false
	}
	m := in.msgs[0]
	in.msgs[0] = nil
	in.msgs = in.msgs[1:]
	in.queued -= len(m)
	return m, true
}

// grantable is what the application consumed and we did not grant yet.
func (in *inbox) grantable() int64 { return in.received - int64(in.queued) - in.granted }

// grant returns how many bytes to grant back now: what was consumed, once
// it reaches a quarter of the window, or as soon as the application waits
// on a message being assembled.
func (in *inbox) grant() uint32 {
	g := in.grantable()
	if g <= 0 || g < int64(in.window/4) && !(in.asm != nil && len(in.msgs) == 0) {
		return 0
	}
	in.granted += g
	return uint32(g)
}

// Message buffers are pooled by power-of-two size class, from 256 bytes to
// 4 MiB; others are allocated.
const (
	minPooled = 8
	maxPooled = 22
)

var bufPools [maxPooled + 1]sync.Pool

func sizeClass(n int) int { return max(bits.Len(uint(n-1)), minPooled) }

// getBuf returns an empty buffer with room for n bytes.
func getBuf(n int) []byte {
	if c := sizeClass(n); n > 0 && c <= maxPooled {
		if b, ok := bufPools[c].Get().(*[]byte); ok {
			return (*b)[:0]
		}
		return make([]byte, 0, 1<<c)
	}
	return make([]byte, 0, n)
}

// putBuf returns a buffer of getBuf's for reuse.
func putBuf(b []byte) {
	if c := cap(b); c >= 1<<minPooled && c <= 1<<maxPooled && c&(c-1) == 0 {
		b = b[:0]
		bufPools[bits.Len(uint(c))-1].Put(&b)
	}
}
