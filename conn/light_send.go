package conn

import (
	"context"

	"github.com/tachyon-ipc/tachyon-go/internal/sys"
)

// Frame mode's gate-free send. The writing gate costs two atomic
// read-modify-writes per frame, and on amd64 each of them waits until the
// frame just written has left the CPU: measured between two processes,
// that made 1 KiB frames 0.6-0.7x the raw ring's throughput. Frame mode has
// one sending goroutine by contract, so the gate only has to keep Close and
// CloseWrite (settleWrite, any goroutine) off the producer while a send is
// in progress. An asymmetric handshake does that (internal/sys/barrier.go):
//
//   - the sender announces a send with a light store of sendBusy = 1, then
//     loads sendRevoked, and only if it is unset touches the producer; it
//     clears sendBusy (light store) when the send ends (Commit, Rollback,
//     or an Acquire that failed), then loads sendRevoked again, and if it
//     is set, settles the writing side itself;
//   - settleWrite sets sendRevoked, runs sys.ProcessBarrier once, and
//     only then loads sendBusy: if it is 0, no send is in progress and
//     none will start without the gate (every later Acquire sees
//     sendRevoked and takes the gated path), so the gate decides as
//     before; if it is 1, the send in progress will see sendRevoked when
//     it ends and settle then.
//
// The barrier makes the two loads unable to miss both stores. Without
// membarrier(2) (other systems, seccomp) lightSend stays false and every
// send takes the gate.

// lightSendOn is cleared only by tests of the gated path that other
// systems take.
var lightSendOn = true

// acquireLight is Acquire's gate-free fast path; ok false means "take the
// gated path", with sendBusy cleared.
func (f *Frames) acquireLight(ctx context.Context, n int) (b []byte, ok bool) {
	c := f.c
	sys.LightStore32(&c.sendBusy, 1)
	if c.sendRevoked.Load() == 0 && c.writable() == nil && ctx.Err() == nil {
		if b, err := c.tx.Acquire(n); err == nil {
			f.wrHeld, f.wrLight = true, true
			return b, true
		}
	}
	f.leaveLight()
	return nil, false
}

// leaveLight ends a gate-free send: after it, the producer is settleWrite's
// to take. A settle that found the send in progress is done here.
func (f *Frames) leaveLight() {
	c := f.c
	sys.LightStore32(&c.sendBusy, 0)
	if c.sendRevoked.Load() != 0 {
		c.settleWrite()
	}
}

// Values of sendRevoked.
const (
	revokeNone  = 0
	revokeBegun = 1 // set; the process barrier may still be running
	revokeDone  = 2 // set, and a process barrier ran after it
)

// revokeLightSend stops gate-free sends for good and reports whether none
// is in progress, in which case the writing gate decides who settles; if
// one is, its leaveLight settles. Only a load of sendBusy after a barrier
// that followed the flag counts, so a second caller that finds the first
// one's barrier still running runs one of its own.
func (c *Conn) revokeLightSend() bool {
	switch c.sendRevoked.Load() {
	case revokeDone:
	case revokeNone:
		if c.sendRevoked.CompareAndSwap(revokeNone, revokeBegun) {
			sys.ProcessBarrier()
			c.sendRevoked.Store(revokeDone)
			break
		}
		fallthrough
	default:
		sys.ProcessBarrier()
	}
	return c.sendBusy.Load() == 0
}
