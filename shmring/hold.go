package shmring

import (
	"runtime"
	"sync/atomic"
)

// hold is a producer's or consumer's reference to its ring's mapping. The
// side takes it when it opens and keeps it until its Close, or until one of
// its own calls finds the ring closed while it holds no view. Between the
// two, the side's calls touch shared memory without entering the segment:
// the hot path pays one load of the segment's word instead of two atomic
// read-modify-writes per call.
//
// Only the side's own goroutine lets go while the side is in use (a
// batching producer's idle-flush timer looks but never lets go, while it
// holds the producer's state: batchlight.go), so no call of the side can
// find the mapping gone under it; Interrupt and SetDeadline, which may run on any goroutine, enter the
// segment for the instant they touch it. A side that is dropped without
// Close lets go when the garbage collector finds it unreachable.
type hold struct {
	seg  *Segment
	held atomic.Uint32 // 1 while held; an atomic load is a plain load on amd64 and arm64
}

// takeHold opens the hold of side on seg; it returns nil if the segment is
// already closed. The hold is released when side becomes unreachable, if
// the side has not released it before.
func takeHold[S any](side *S, seg *Segment) *hold {
	if !seg.enter() {
		return nil
	}
	h := &hold{seg: seg}
	h.held.Store(1)
	runtime.AddCleanup(side, (*hold).release, h)
	return h
}

// open reports whether the side holds the mapping and the ring is not
// closed. It is the hot path's check; a caller that finds it false and
// holds no view calls release.
func (h *hold) open() bool { return h.held.Load() != 0 && !h.seg.closed() }

// live is open for a caller that holds no view: once the ring is closed it
// also lets go.
func (h *hold) live() bool {
	if h.open() {
		return true
	}
	h.release()
	return false
}

// release lets go of the reference, once; the last one out of a closed
// segment unmaps it.
func (h *hold) release() {
	if h.held.CompareAndSwap(1, 0) {
		h.seg.exit()
	}
}
