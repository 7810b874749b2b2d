package shmring

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"time"

	"github.com/tachyon-ipc/tachyon-go/internal/sys"
)

// Pure-spin mode (ABI.md §3, "Pure-spin mode") is Tachyon's polling mode: the
// value 2 in a side's sleeping word tells the peer "never wake me", so the
// peer's publications cost no system call at all. The rules that make it
// safe, unlike Tachyon's:
//
//  1. A side opened WithPureSpin stores 2 in its own word when it opens and
//     never writes 0 or 1 there afterwards: blocking later does not silently
//     switch its peer back to waking it.
//  2. A waker that reads 2 sends no wake (no futex, no doorbell).
//  3. Nobody wakes a side whose word reads 2, so whenever such a side sleeps
//     (a pure-spin side gone idle, or a hybrid side whose word a Tachyon peer
//     set to 2 with set_polling_mode), it naps in slices of at most
//     PureSpinNap and re-checks the ring between them: it is never stranded,
//     and it notices the peer's progress at most PureSpinNap late.
//  4. A hybrid side never overwrites a 2 it finds in its word (it naps as in
//     rule 3); it advertises sleep only by swapping 0 for 1.

// PureSpinNap is the longest a side whose sleeping word reads 2 sleeps before
// it re-checks the ring. Naps start at pureSpinFirstNap and double up to it.
const PureSpinNap = time.Millisecond

const pureSpinFirstNap = 20 * time.Microsecond

// NeverNap makes a WithPureSpin side spin for as long as it waits, as
// Tachyon's polling mode does.
const NeverNap = time.Duration(math.MaxInt64)

// WithPureSpin puts this side in pure-spin mode: its peer never makes a
// system call to wake it, and it never parks. A blocked wait polls the ring,
// yielding with runtime.Gosched and checking the deadline and Interrupt,
// for up to idle; a wait that lasts longer naps in slices of at most
// PureSpinNap, so an idle side stops burning a CPU without ever leaving the
// mode. Use NeverNap for a dedicated, pinned core; zero naps at once.
//
// The mode is per side and needs nothing from the peer: a hybrid peer, Go or
// Tachyon, simply skips the wake. WithSpin does not apply to a pure-spin
// side.
func WithPureSpin(idle time.Duration) Option {
	return func(c *config) error {
		if idle < 0 {
			return fmt.Errorf("shmring: negative pure-spin idle time %v", idle)
		}
		c.pureSpin, c.pureIdle = true, idle
		return nil
	}
}

// pureWait is a pure-spin side's wait: poll until ready, the deadline or an
// interrupt, for at most idle, then nap. The caller has counted the wait.
func (w *waiter) pureWait(ready func() bool) error {
	start := time.Now()
	for i := 1; ; i++ {
		if ready() {
			w.st.add(statSpinWins, 1)
			return nil
		}
		if i%16 != 0 {
			sys.SpinPause() // as the hybrid spin does (wait.go)
			continue
		}
		runtime.Gosched()
		if w.interrupted.Swap(false) {
			return nil
		}
		if w.expired() {
			return os.ErrDeadlineExceeded
		}
		if time.Since(start) >= w.pureIdle {
			break
		}
	}
	w.st.add(statParks, 1)
	return w.nap(ready)
}

// nap sleeps in bounded slices until ready, the deadline or an interrupt,
// leaving the side's word as it is (rule 3). Each slice is a FUTEX_WAIT on
// the word's current value, so Interrupt and SetDeadline cut it short.
func (w *waiter) nap(ready func() bool) error {
	d := pureSpinFirstNap
	for {
		if ready() || w.interrupted.Swap(false) {
			return nil
		}
		if w.bell != nil {
			// Doorbell mode naps on the doorbell with a timeout: no OS
			// thread held, and no futex word a peer could wait on to
			// absorb our own wake-ups.
			if err := w.bellWait(time.Now().Add(d), ready); err != nil {
				return err
			}
			d = min(2*d, PureSpinNap)
			continue
		}
		slice := d
		if dl := w.deadline.Load(); dl != 0 {
			left := time.Until(time.Unix(0, dl))
			if left <= 0 {
				return os.ErrDeadlineExceeded
			}
			slice = min(slice, left)
		}
		sys.FutexWait(w.word, w.word.Load(), slice)
		d = min(2*d, PureSpinNap)
	}
}

// wakeNapper cuts short a nap in progress; safe from any goroutine.
func (w *waiter) wakeNapper() {
	if w.seg.enter() {
		if w.word.Load() != awake && w.word.Load() != sleeping {
			sys.FutexWake(w.word, 1)
		}
		w.seg.exit()
	}
}
