package shmring

// hold is a producer's or consumer's reference to its ring's mapping. The
// side takes it when it opens and keeps it until its Close, or until one of
// its own calls finds the ring closed while it holds no view. Between the
// two, the side's calls touch shared memory without entering the segment:
// the hot path pays one load of the segment's word instead of two atomic
// read-modify-writes per call.
//
// Only the side's own goroutine lets go (a batching producer's idle-flush
// timer looks but never lets go, under the producer's lock), so no call of
// the side can find the mapping gone under it; Interrupt and SetDeadline,
// which may run on any goroutine, enter the segment for the instant they
// touch it.
type hold struct {
	seg  *Segment
	held bool
}

// take opens the hold; it reports false if the segment is already closed.
func (h *hold) take(seg *Segment) bool {
	h.seg = seg
	h.held = seg.enter()
	return h.held
}

// live reports whether the side may touch the mapping. Once the ring is
// closed it lets go of the reference and reports false, so the caller must
// hold no view.
func (h *hold) live() bool {
	if h.held && h.seg.users.Load()&segClosed != 0 {
		h.letGo()
	}
	return h.held
}

// letGo is release out of line, so that live inlines.
//
//go:noinline
func (h *hold) letGo() { h.release() }

// open reports whether the side holds the mapping and the ring is not
// closed, without letting go: for callers that may not release.
func (h *hold) open() bool { return h.held && !h.seg.closed() }

// release lets go of the reference; the last one out of a closed segment
// unmaps it.
func (h *hold) release() {
	if h.held {
		h.held = false
		h.seg.exit()
	}
}
