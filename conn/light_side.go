package conn

import (
	"sync/atomic"

	"github.com/tachyon-ipc/tachyon-go/internal/sys"
)

// Frame mode's gate-free sides. A gate costs two atomic read-modify-writes
// per frame, and on amd64 each of them waits until every store before it
// has left the CPU: measured between two processes, the writing gate made
// 1 KiB frames 0.6-0.7x the raw ring's throughput, and the two gates made a
// 32-byte round trip 1.1-1.2x the raw ring's when the CPUs are close. Frame
// mode has one sending and one receiving goroutine by contract, so a gate
// only has to keep Close and CloseWrite (settleWrite and settleRead, any
// goroutine) off the ring side while a call or a view is in progress. An
// asymmetric handshake does that (internal/sys/barrier.go):
//
//   - the side's goroutine announces a use (from Acquire to Commit or
//     Rollback, from Next to Release, or a call that fails) with a light
//     store of busy = 1, then loads revoked, and only if it is unset
//     touches the ring side; it clears busy (light store) when the use
//     ends, then loads revoked again, and if it is set, settles the side
//     itself;
//   - settling sets revoked, runs sys.ProcessBarrier once, and only then
//     loads busy: if it is 0, no use is in progress and none will start
//     without the gate (every later call sees revoked and takes the gated
//     path), so the gate decides as before; if it is 1, the use in
//     progress will see revoked when it ends and settle then.
//
// The barrier makes the two loads unable to miss both stores. Without
// membarrier(2) (other systems, seccomp) a side is never light and every
// call takes the gate.
type lightSide struct {
	_       [64]byte      // a cache line of its own: busy is written on every use
	on      atomic.Bool   // set once, by the switch to frame mode
	busy    atomic.Uint32 // 1 while a gate-free use is in progress
	revoked atomic.Uint32 // revokeNone, revokeBegun, revokeDone
	_       [64]byte
}

// Values of lightSide.revoked.
const (
	revokeNone  = 0
	revokeBegun = 1 // set; the process barrier may still be running
	revokeDone  = 2 // set, and a process barrier ran after it
)

// lightSidesOn is cleared only by tests of the gated path that other
// systems take.
var lightSidesOn = true

// lightAvailable reports whether frame mode's sides may go without their
// gates in this process.
func lightAvailable() bool { return lightSidesOn && sys.ProcessBarrierAvailable() }

// usable reports whether a gate-free use may be tried.
func (s *lightSide) usable() bool { return s.on.Load() && s.revoked.Load() == revokeNone }

// enter announces a use; false means the side was revoked meanwhile: call
// leave, then take the gate.
func (s *lightSide) enter() bool {
	sys.LightStore32(&s.busy, 1)
	return s.revoked.Load() == revokeNone
}

// leave ends a use and reports whether a settle is due, which the caller
// then runs: a settle that found the use in progress left it to us.
func (s *lightSide) leave() (settle bool) {
	sys.LightStore32(&s.busy, 0)
	return s.revoked.Load() != revokeNone
}

// revoke stops gate-free uses for good and reports whether none is in
// progress, in which case the gate decides who settles; if one is, its
// leave settles. Only a load of busy after a barrier that followed the flag
// counts, so a second caller that finds the first one's barrier still
// running runs one of its own. A barrier that fails (membarrier's ENOMEM)
// proves nothing: then revoke reports a use in progress, and the side is
// settled by its goroutine's next call, or never, rather than unmapped
// under a view.
func (s *lightSide) revoke() (idle bool) {
	if !s.on.Load() {
		return true
	}
	switch s.revoked.Load() {
	case revokeDone:
	case revokeNone:
		if s.revoked.CompareAndSwap(revokeNone, revokeBegun) {
			if !sys.ProcessBarrier() {
				return false // revokeBegun stays: the next caller runs its own
			}
			s.revoked.Store(revokeDone)
			break
		}
		fallthrough
	default:
		if !sys.ProcessBarrier() {
			return false
		}
	}
	return s.busy.Load() == 0
}
