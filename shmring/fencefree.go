package shmring

import (
	"sync/atomic"

	"github.com/tachyon-ipc/tachyon-go/internal/sys"
)

// Fence-free publishing. A side publishes its index (head, tail) with a
// store and then loads the peer's sleeping word to see whether to wake it;
// a sleeper stores its word and then loads the index. That is a Dekker
// handshake, and on amd64 each side needs a full barrier between its store
// and its load (storeIndex's locked add), or both could miss each other:
// the sleeper would sleep on a frame that was already published.
//
// The publisher's barrier is on the hot path. It waits until every store
// before it has left the CPU, so a producer of 1 KiB frames waits, frame
// after frame, for the sixteen cache lines it has just written to reach
// the other CPU before it may write the next ones. Measured between two
// processes, builds with and without fence-free publishing alternated three
// times (tachyon-bench -only shm-raw/one-way,shm-frames/one-way,
// unix/io.Copy -sizes 1K -count 3, 2026-12-06 23:06 UTC): 1 KiB streams
// moved 3.07-3.20 GB/s against 2.45-2.54 GB/s on the raw ring and
// 3.09-3.23 against 2.46-2.76 GB/s in conn's frame mode, while io.Copy over
// a Unix socket moved 0.26-0.29 GB/s in the same runs; round trips do not
// change (one frame, then a wait for the answer: nothing queues behind the
// barrier). Sleeping is rare, so the barrier moves to the sleeper:
//
//   - a side that can run membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED),
//     whose process is registered for it, sets FlagBarriers in its flag
//     word when it opens: a promise to run that barrier before it sleeps
//     whenever the peer's FlagFenceFree is set;
//   - a publisher whose peer made the promise, and whose own process the
//     barrier reaches, sets FlagFenceFree with an atomic OR (a full barrier)
//     once fenceFreeAfter publications in a row found the peer awake, and
//     from then on stores its index with no barrier; it clears the flag
//     (atomic AND) when it finds the peer asleep, and fences again;
//   - a sleeper that has stored its word loads the peer's flags; if
//     FlagFenceFree is set it runs the global barrier before it re-checks
//     the index, which makes the publisher's thread execute a full barrier
//     (or it was not running, which is one): either the publisher's later
//     load sees our word, or its earlier index store is visible to our
//     re-check. If the flag was not set, the publisher's OR comes after our
//     word's store, and its every later load sees the word. The same holds
//     when the sleeper moves its word from the futex to the doorbell
//     (seePeer): a waker that loaded the old value fails to clear it and
//     sends nothing, so the re-check after the move must see its index.
//
// Parking then costs a membarrier call, a few microseconds, only while the
// peer is streaming; a peer that finds us asleep fences again. A Tachyon
// peer, or a tachyon-go side that cannot run the barrier, never sets
// FlagBarriers, so we keep the fence with it. A peer that lies costs us
// at most a barrier per park (it sets FlagFenceFree) or loses its own
// wake-ups (it claims FlagBarriers and does not keep the promise).

// fenceFreeAfter is how many publications in a row must find the peer
// awake before a side stops fencing.
const fenceFreeAfter = 64

// fenceFreeOn is cleared only by tests of the fenced path.
var fenceFreeOn = true

// fenceFreeCapable reports whether sides of this process may publish
// fence-free and keep the sleeper's promise: amd64's plain stores (other
// architectures' index stores order themselves) and the global barrier.
func fenceFreeCapable() bool {
	return fenceFreeOn && sys.LightStoresPlain && sys.GlobalBarrierAvailable()
}

// offerFenceFree sets up a side that opens with flag word own and peer
// flag word peer: it promises the barrier (FlagBarriers) and lets its
// waker go fence-free once the peer promises too.
func offerFenceFree(w *waiter, k *waker, own, peer *atomic.Uint32) {
	if !fenceFreeCapable() || w.pureSpin {
		return
	}
	own.Or(FlagBarriers)
	w.peerFlags = peer
	k.own, k.peer, k.counting = own, peer, 1
}

// peerAwake counts a publication that found the peer awake; the
// fenceFreeAfter-th in a row stops fencing if it may.
func (k *waker) peerAwake() {
	if k.awake++; k.awake >= fenceFreeAfter {
		k.goFenceFree()
	}
}

// goFenceFree stops fencing if the peer promised its barrier; otherwise it
// looks again after another fenceFreeAfter publications.
func (k *waker) goFenceFree() {
	if k.peer.Load()&FlagBarriers == 0 {
		k.awake = 0
		return
	}
	k.own.Or(FlagFenceFree) // a full barrier: before any fence-free store
	k.fenceFree, k.counting = true, 0
}

// peerSlept is wake finding the peer asleep: fence again.
func (k *waker) peerSlept() {
	k.awake = 0
	if k.fenceFree {
		k.own.And(^uint32(FlagFenceFree))
		k.fenceFree, k.counting = false, 1
	}
}

// seePeer runs the global barrier if the peer publishes fence-free, so
// that a re-check of its index after a change of our word sees every index
// it stored before it loaded the word; false if the barrier failed. Every
// change of the word that a waker might miss needs it: from awake to
// sleeping (wait), and from sleeping to bellSleeping (park), where a waker
// that loaded sleeping fails its compare-and-swap and sends nothing.
func (w *waiter) seePeer() bool {
	return w.peerFlags == nil || w.peerFlags.Load()&FlagFenceFree == 0 || sys.GlobalBarrier()
}
