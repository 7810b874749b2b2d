package conn

import (
	"sync"
	"sync/atomic"
	"time"
)

// deadline is a net.Conn deadline kept for the "expired before any I/O"
// checks that every Read and Write makes; waits are bounded by the ring
// side's own copy of it. Checking it is one atomic load: a timer marks it
// passed when the time comes, as the runtime's poller does for sockets,
// instead of a clock read per call.
type deadline struct {
	passed atomic.Bool

	mu    sync.Mutex  // guards at and timer
	at    time.Time   // the deadline; zero means none
	timer *time.Timer // made on the first future deadline, then reset
}

// expired reports whether the deadline has passed.
func (d *deadline) expired() bool { return d.passed.Load() }

// set moves the deadline to t; zero means none.
func (d *deadline) set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.at = t
	left := time.Until(t)
	d.passed.Store(!t.IsZero() && left <= 0)
	switch {
	case t.IsZero() || left <= 0:
		if d.timer != nil {
			d.timer.Stop()
		}
	case d.timer == nil:
		d.timer = time.AfterFunc(left, d.fire)
	default:
		d.timer.Reset(left)
	}
}

// fire marks the deadline passed if it has. A timer set for an earlier
// deadline that fires after set moved it, or one that fired early by the
// wall clock, finds it still ahead and waits again.
func (d *deadline) fire() {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch left := time.Until(d.at); {
	case d.at.IsZero():
	case left <= 0:
		d.passed.Store(true)
	default:
		d.timer.Reset(left)
	}
}

// stop releases the timer; expired keeps its last answer.
func (d *deadline) stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.at = time.Time{}
	if d.timer != nil {
		d.timer.Stop()
	}
}
