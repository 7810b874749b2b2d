package shmring

import "github.com/tachyon-ipc/tachyon-go/internal/sys"

// A batching producer (WithPublishEvery) shares its indices with the
// idle-flush timer, which publishes what the producer left pending. A mutex
// around every Acquire and Commit costs two atomic read-modify-writes per
// frame, and on amd64 each waits until the frame just written has left the
// CPU: it held the 32-byte batched stream at 0.16x of Tachyon's C++
// producer. Where the process barrier is available the producer's calls
// take no lock; the timer, which runs at most once per flush delay, pays
// instead (internal/sys/barrier.go):
//
//   - a producer call announces itself with a light store of busy = 1,
//     then loads flushing; if it is set, it withdraws and takes mu;
//   - the timer, under mu, first looks at the count of publications
//     (process memory: a counter in the shared segment is the peer's to
//     scribble on): if the producer published since its last look, what
//     is pending is younger than a flush delay, so the timer only
//     re-arms (a streaming producer publishes every n commits by itself
//     and never meets the barrier); frames wait at most about two delays;
//     otherwise it sets flushing, runs sys.ProcessBarrier, and loads busy:
//     0 means no call is in progress and none can start before it clears
//     flushing, so it may publish; 1 means a call is in progress, and it
//     re-arms and looks again later.

// lightBatchOn is cleared only by tests of the locked path that systems
// without membarrier(2) take.
var lightBatchOn = true

// lock excludes the idle-flush timer from the producer's state for one
// call and reports whether it did so without the mutex (pass the result to
// unlock). Without batching it does nothing.
func (p *Producer) lock() (light bool) {
	if p.batch == nil {
		return false
	}
	return p.lockBatch()
}

// lockBatch is lock for a batching producer, out of line so that lock
// inlines into the calls of one that does not batch.
func (p *Producer) lockBatch() (light bool) {
	b := p.batch
	if b.light {
		sys.LightStore32(&b.busy, 1)
		if b.flushing.Load() == 0 {
			return true
		}
		sys.LightStore32(&b.busy, 0)
	}
	b.mu.Lock()
	return false
}

// unlock ends what lock began.
func (p *Producer) unlock(light bool) {
	if p.batch != nil {
		p.unlockBatch(light)
	}
}

// unlockBatch is unlock for a batching producer, out of line as lockBatch.
func (p *Producer) unlockBatch(light bool) {
	if light {
		sys.LightStore32(&p.batch.busy, 0)
	} else {
		p.batch.mu.Unlock()
	}
}

// takeFromLight is the timer's side, under mu: it reports whether the
// producer's state is the timer's until it clears flushing, which the
// caller then does. False means "not now": the producer is streaming or in
// a call.
func (p *Producer) takeFromLight() bool {
	b := p.batch
	if n := b.publishes.Load(); n != b.lastPublishes {
		b.lastPublishes = n
		return false
	}
	b.flushing.Store(1)
	// A barrier that failed (ENOMEM) proves nothing: back off as if busy.
	if !sys.ProcessBarrier() || b.busy.Load() != 0 {
		b.flushing.Store(0)
		return false
	}
	return true
}
