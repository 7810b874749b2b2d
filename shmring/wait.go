package shmring

import (
	"os"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/tachyon-ipc/tachyon-go/internal/sys"
)

// Futex re-check intervals. Tachyon's consumer re-checks every 200ms; a
// producer waiting on a Tachyon consumer is never woken (Tachyon has no
// producer sleep word), so it polls faster.
const (
	consumerFutexRecheck = 200 * time.Millisecond
	producerFutexRecheck = 200 * time.Microsecond
)

// spinner is the adaptive spin phase of a wait. Its budget halves when
// spinning fails and doubles when it wins; parked feeds back how long failed
// waits really took, so a budget that fell below the peer's response time
// grows back instead of never winning again.
type spinner struct {
	max, cur time.Duration
	misses   int  // consecutive long parks since the budget was last probed
	rewake   bool // the last wait parked briefly: spin at least rewakeSpin next
}

// rewakeSpin is the least the spin after a brief park lasts (a park that
// ended within rewakeSpin). Two sides that take turns (ping-pong, request
// and reply) both fall into parking once one of them parked: the sleeper's
// wake-up (futex, then the scheduler; 20-80 µs on a loaded 2-CPU VM) is
// longer than the other side's budget, so that side parks too, and so on,
// each budget halving, until a wake-up happens to be fast. Spinning through
// one wake-up latency after a brief park breaks that chain; its cost is at
// most rewakeSpin per park that itself lasted under rewakeSpin. Off unless
// rewakeOn (spintune.go).
const rewakeSpin = 100 * time.Microsecond

// probeEvery is how many consecutive long parks pass before the spinner
// tries its full budget again.
const probeEvery = 16

func newSpinner(max time.Duration) spinner { return spinner{max: max, cur: max} }

// parked reports that a wait outlasted the spin and took d in all. A wait
// shorter than the largest budget would have been won by spinning: grow the
// budget to cover it. After probeEvery longer ones, probe the full budget.
func (s *spinner) parked(d time.Duration) {
	if s.max <= 0 {
		return
	}
	s.rewake = rewakeOn && d < rewakeSpin
	if d < s.max {
		s.cur = min(max(s.cur*2, d+d/2), s.max)
		s.misses = 0
		return
	}
	if s.misses++; s.misses >= probeEvery {
		s.cur, s.misses = s.max, 0
	}
}

// spinYield is how long a spin runs between runtime.Gosched calls. A yield
// is not free: with an idle P, Gosched wakes another OS thread (wakep), a
// futex system call that also takes CPU from the peer we wait for, so a
// spin yields a few times per budget, not every few polls.
var spinYield = 5 * time.Microsecond

// spinCheck is how many polls a spin makes between clock reads. A clock
// read costs about as much as a round trip between two spinning CPUs, so a
// peer that answers within the first spinCheck polls is seen without one.
//
// A pause after each poll takes about 20 ns on the build VM, so 256 polls
// take some 6 µs: the budget starts at the first clock read, so every spin
// lasts about 6 µs more than its budget, deadlines are seen within about
// 6 µs, and every check after the first yields (spinYield is shorter). That
// floor costs a waiter that then parks up to 6 µs of CPU, and it keeps
// two goroutines that take turns from parking: with a check every 64 polls
// (1.6 µs) the net.Conn echo's p99 was over 20 µs in 14 of 27 rounds, with
// 256 in 1 of 27, p50 level, while a Unix socket's echo took 36.7-55.7 µs in
// the same runs (docs/cxx-comparison.md, session 8).
const spinCheck = 256

// spin polls ready for at most the current budget, yielding to the other
// goroutines of this process every spinYield, and gives up early once the
// deadline (unix nanoseconds, 0 for none) has passed. It reports whether
// ready became true, and when the spin began: its first clock read, taken
// after spinCheck polls.
func (s *spinner) spin(ready func() bool, deadline int64) (won bool, start time.Time) {
	if s.cur <= 0 {
		return false, time.Now()
	}
	budget := s.cur
	if s.rewake {
		budget, s.rewake = max(budget, rewakeSpin), false
	}
	var nextYield time.Time
	for i := 1; ; i++ {
		if ready() {
			s.cur = min(s.cur*2, s.max)
			return true, start
		}
		if i%spinCheck != 0 {
			// As Tachyon's receivers do: without a pause between polls,
			// a Go ↔ Go round trip took 100-150 ns longer at p50 (833-853
			// against 701-733 ns, beside a Unix echo of 40.1-45.7 µs;
			// docs/cxx-comparison.md, session 8).
			sys.SpinPause()
			continue
		}
		now := time.Now()
		switch {
		case start.IsZero():
			start, nextYield = now, now.Add(spinYield)
		case now.Sub(start) > budget:
			s.cur = max(s.cur/2, s.max/32)
			return false, start
		case now.After(nextYield):
			runtime.Gosched()
			nextYield = time.Now().Add(spinYield)
		}
		if deadline != 0 && now.UnixNano() >= deadline {
			return false, start
		}
	}
}

// waiter blocks one side of a ring: spin, then advertise sleep in the side's
// word, re-check, and park on a doorbell (through the netpoller) or, for
// Tachyon peers, on the futex word itself.
type waiter struct {
	word       *atomic.Uint32 // our sleeping word in the control block
	bell       *Doorbell      // doorbell mode; nil means futex mode
	recheck    time.Duration  // futex mode: longest single futex wait
	spin       spinner
	st         *counters
	seg        *Segment      // guards word against a concurrent unmap in interrupt
	futexStage time.Duration // doorbell mode: WithFutexStage

	pureSpin bool          // WithPureSpin: never park; our word stays 2
	pureIdle time.Duration // WithPureSpin: spin this long, then nap

	peerFlags *atomic.Uint32 // the peer's flag word, if we run a barrier before sleeping when it publishes fence-free

	deadline    atomic.Int64 // unix nanoseconds; 0 means none
	interrupted atomic.Bool
	idleRings   int            // doorbell mode: wake-ups in a row that found no progress, then polls (bellWait)
	progress    *atomic.Uint64 // the peer's index (head for a consumer, tail for a producer): it moves when the peer publishes
}

// newWaiter makes the waiter of the side whose sleeping word is word. A
// pure-spin side announces the mode in its word at once (purespin.go, rule 1).
func newWaiter(word *atomic.Uint32, progress *atomic.Uint64, recheck time.Duration, cfg *config, st *counters, seg *Segment) waiter {
	if cfg.pureSpin {
		word.Store(pureSpin)
	}
	return waiter{word: word, progress: progress, bell: cfg.wait, recheck: recheck, spin: newSpinner(cfg.spin), st: st,
		seg: seg, pureSpin: cfg.pureSpin, pureIdle: cfg.pureIdle, futexStage: cfg.futexStage}
}

// wait returns nil once ready() is true or after one park (the caller loops
// and re-checks), os.ErrDeadlineExceeded once the deadline has passed, and
// ErrClosed if the doorbell was closed.
func (w *waiter) wait(ready func() bool) error {
	if ready() {
		return nil
	}
	w.st.add(statWaits, 1)
	if w.pureSpin {
		if w.expired() {
			return os.ErrDeadlineExceeded
		}
		return w.pureWait(ready)
	}
	// The spin looks at the clock, and so at the deadline, only every
	// spinCheck polls: an answer that comes within a few hundred
	// nanoseconds costs no clock read.
	won, start := w.spin.spin(ready, w.deadline.Load())
	if won {
		w.st.add(statSpinWins, 1)
		return nil
	}
	if w.expired() {
		return os.ErrDeadlineExceeded
	}
	// Advertise sleep, then re-check: the peer stores its index before it
	// loads our word (both sequentially consistent), so either we see its
	// progress here or it sees our word and wakes us. A word that is not 0
	// was set to 2 by a peer that will never wake us: keep it, and nap
	// (purespin.go, rule 4).
	if !w.word.CompareAndSwap(awake, sleeping) {
		w.st.add(statParks, 1)
		return w.nap(ready)
	}
	if !w.seePeer() {
		// The barrier that makes a fence-free peer's index visible
		// failed: we may not sleep on the word.
		w.word.CompareAndSwap(sleeping, awake)
		w.st.add(statParks, 1)
		return w.nap(ready)
	}
	if ready() || w.interrupted.Swap(false) {
		w.word.CompareAndSwap(sleeping, awake)
		return nil
	}
	w.st.add(statParks, 1)
	err := w.park(ready)
	if !w.word.CompareAndSwap(sleeping, awake) {
		w.word.CompareAndSwap(bellSleeping, awake)
	}
	w.interrupted.Store(false)
	w.spin.parked(time.Since(start))
	return err
}

// park blocks until woken, with our word at sleeping. In futex mode it is
// Tachyon's FUTEX_WAIT. In doorbell mode it parks, word moved to
// bellSleeping, on the doorbell, which holds no thread however long the
// wait; with WithFutexStage it first waits on the futex word too, which
// wakes faster but holds an OS thread, so only for the stage's length and
// only while a process-wide slot is free. The waker reads the word to
// choose: FUTEX_WAKE for sleeping, a doorbell ring for bellSleeping.
func (w *waiter) park(ready func() bool) error {
	if w.bell == nil {
		return w.futexPark(w.recheck)
	}
	if w.futexStage > 0 && futexStages.acquire() {
		err := w.futexPark(w.futexStage)
		futexStages.release()
		if err != nil || w.word.Load() != sleeping {
			return err // woken, interrupted or past the deadline
		}
	}
	// Move to the doorbell, then re-check: a waker that loads the word
	// after this sees bellSleeping and rings; one that loaded it before
	// (and whose compare-and-swap from sleeping then fails) stored its
	// index first, which the re-check sees, after the barrier if the
	// waker publishes fence-free. A failed CAS means a waker cleared the
	// word and sent a FUTEX_WAKE: nothing to wait for.
	if !w.word.CompareAndSwap(sleeping, bellSleeping) || !w.seePeer() || ready() || w.interrupted.Load() {
		return nil
	}
	return w.bellWait(time.Time{}, ready)
}

// bellWait parks on the doorbell until it rings, an interrupt, the deadline
// or until (zero: no limit), whichever comes first. It reports
// os.ErrDeadlineExceeded only once the deadline has passed by our clock.
//
// A doorbell that keeps ringing while the peer publishes nothing (its index
// unmoved after floodRings wake-ups in a row) is being flooded: a peer that
// rings honestly rings once per publication, and a stale ring costs at most
// one idle wake-up. (A wake-up with progress that is still not enough, a
// writer waiting for room freed frame by frame, is not idle.) Reading such
// a doorbell would make the wait a busy loop, so the waiter stops reading it
// and polls instead, sleeping at most DeadBellPoll at a time (Kick and
// Close still cut the sleep short), until ready() holds or, after
// floodPolls sleeps, it tries the doorbell again.
func (w *waiter) bellWait(until time.Time, ready func() bool) error {
	if d := w.deadline.Load(); d != 0 {
		if dl := time.Unix(0, d); until.IsZero() || dl.Before(until) {
			until = dl
		}
	}
	before := w.progress.Load()
	var err error
	if w.idleRings >= floodRings {
		err = w.bell.poll(until)
		if w.idleRings++; w.idleRings >= floodRings+floodPolls {
			w.idleRings = 0
		}
	} else {
		err = w.bell.Wait(until)
	}
	switch {
	case err != nil:
	case ready() || w.progress.Load() != before:
		w.idleRings = 0
	case w.idleRings < floodRings && !w.interrupted.Load():
		w.idleRings++
	}
	if err == os.ErrDeadlineExceeded && !w.expired() {
		return nil // until passed, or the deadline moved: re-check
	}
	return err
}

// A doorbell is taken as flooded after floodRings wake-ups in a row that
// found no progress; the waiter then polls floodPolls times (about
// floodPolls × DeadBellPoll) before it reads the doorbell again.
const (
	floodRings = 8
	floodPolls = 64
)

// futexPark is one FUTEX_WAIT on our word while it reads sleeping, for at
// most timeout and no later than the deadline.
func (w *waiter) futexPark(timeout time.Duration) error {
	if d := w.deadline.Load(); d != 0 {
		left := time.Until(time.Unix(0, d))
		if left <= 0 {
			return os.ErrDeadlineExceeded
		}
		timeout = min(timeout, left)
	}
	sys.FutexWait(w.word, sleeping, timeout)
	if w.expired() {
		return os.ErrDeadlineExceeded
	}
	return nil
}

// futexStages limits how many waiters of this process are in the first,
// thread-holding stage of a doorbell-mode park (WithFutexStage) at once,
// and so how many OS threads it can hold.
var futexStages = newSlots(max(2, runtime.GOMAXPROCS(0)))

func (w *waiter) expired() bool {
	d := w.deadline.Load()
	return d != 0 && time.Now().UnixNano() >= d
}

// setDeadline is safe from any goroutine; a deadline moved into the past
// wakes a parked wait.
func (w *waiter) setDeadline(t time.Time) {
	var d int64
	if !t.IsZero() {
		d = t.UnixNano()
	}
	old := w.deadline.Swap(d)
	if w.bell != nil {
		// A later or cleared deadline needs no wake-up: a parked wait
		// wakes at the old one, finds it has not passed, and parks again.
		if d != 0 && (old == 0 || d < old) {
			w.bell.Kick()
			w.wakeFutex() // the first stage of a park sleeps on the word
		}
		return
	}
	w.interrupt()
}

// interrupt makes a parked or imminent wait return; safe from any goroutine.
func (w *waiter) interrupt() {
	w.interrupted.Store(true)
	if w.bell != nil {
		// Through our own poller only: nothing a peer shares can absorb
		// the wake-up (doorbell.go).
		w.bell.Kick()
	} else {
		w.wakeNapper()
	}
	w.wakeFutex()
}

// wakeFutex wakes a wait sleeping on the futex word; safe from any
// goroutine. Clearing the word makes a FUTEX_WAIT that has not started yet
// return at once; one that has started is woken.
func (w *waiter) wakeFutex() {
	if w.seg.enter() {
		w.word.CompareAndSwap(sleeping, awake)
		sys.FutexWake(w.word, 1)
		w.seg.exit()
	}
}

// waker wakes the peer after we publish, but only when the peer's word says
// it sleeps: the common case costs one load and no system call.
type waker struct {
	word *atomic.Uint32 // the peer's sleeping word
	bell *Ringer        // doorbell mode; nil means futex mode
	st   *counters

	// Fence-free publishing (fencefree.go): own and peer are the flag
	// words; nil when this side cannot publish fence-free.
	own, peer *atomic.Uint32
	fenceFree bool   // our FlagFenceFree is set: storeIndex skips the fence
	counting  uint32 // 1 while wake counts publications towards fence-free (own set, fenceFree not)
	awake     int32  // publications in a row that found the peer awake
}

// wake must follow our index's store by storeIndex (or a sequentially
// consistent store), which orders it before the load of the word. Clearing
// the word (as the sleeper itself does on waking) makes a burst of
// publications cost one wake, not one each. A peer in pure-spin mode (word
// 2) is never woken (purespin.go, rule 2).
func (k *waker) wake() {
	// The common case, a peer awake, in a load and a compare that inline
	// into the publishing call.
	// Bit 0 is set in the two sleeping values (1 and 3), clear in awake
	// and pure spin (0 and 2).
	if w := k.word.Load(); w&1|k.counting != 0 {
		k.wakeSleeper(w)
	}
}

// wakeSleeper wakes the peer whose word read w; a word that says the peer
// is awake counts towards fence-free publishing instead (fencefree.go).
func (k *waker) wakeSleeper(w uint32) {
	if w != sleeping && w != bellSleeping {
		if k.counting != 0 {
			k.peerAwake()
		}
		return
	}
	if k.own != nil {
		k.peerSlept()
	}
	switch w {
	case sleeping: // Tachyon's futex sleeper, or the first stage of a doorbell-mode park
		if k.word.CompareAndSwap(sleeping, awake) {
			k.st.add(statWakes, 1)
			sys.FutexWake(k.word, 1)
		}
	case bellSleeping:
		if k.bell != nil && k.word.CompareAndSwap(bellSleeping, awake) {
			k.st.add(statWakes, 1)
			k.bell.Ring()
		}
	}
}
