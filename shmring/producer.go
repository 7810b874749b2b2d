package shmring

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tachyon-ipc/tachyon-go/internal/sys"
)

// Producer writes frames into a ring. It is meant for one goroutine at a
// time: only SetDeadline and Interrupt may be called concurrently with the
// other methods.
//
// The zero-copy cycle is Acquire (a writable view inside the ring), fill the
// view, then Commit with the length actually written, or Rollback.
type Producer struct {
	r *Ring
	h *hold // the mapping stays while the producer is open

	head      uint64 // next write position; frames before it are committed
	published uint64 // last head stored into shared memory
	tail      uint64 // consumer tail as last loaded and checked
	pending   int    // commits (and wrap markers) not yet published
	err       error  // sticky: closed or corrupt

	// The view handed out by Acquire, valid until Commit or Rollback.
	acquired bool
	acqWrap  uint64 // bytes a wrap marker skips before the view's slot
	acqLen   int    // payload bytes acquired

	fastMax     int         // MaxPayload, for Acquire's fast path
	every       int         // publish every this many commits
	batch       *batchState // non-nil when every > 1
	tachyonWrap bool        // WithTachyonWrap: no wrap marker ahead of its frame
	wrapAt      uint64      // WithEarlyWrap: wrap once this far into an empty ring; 0: never
	wrapCheck   uint64      // head before which no early-wrap check loads the tail again

	w     waiter
	k     waker
	fence atomic.Uint32 // storeIndex's barrier word, touched by nobody else
	st    counters
	hook  ctxHook // the context of AcquireContext's, Send's and WaitContext's waits
}

// batchState lets an idle-flush timer publish frames a batching producer
// left pending. mu guards the producer's indices while batching; where the
// process barrier is available (light), the producer's own calls take no
// lock (batchlight.go) and only the timer does.
type batchState struct {
	mu    sync.Mutex
	timer *time.Timer
	armed bool
	delay time.Duration

	light         bool          // the producer's calls announce themselves in busy instead of taking mu
	busy          atomic.Uint32 // 1 while a light call is in progress
	flushing      atomic.Uint32 // 1 while the timer wants the producer's state
	publishes     atomic.Uint32 // publications, counted by whoever publishes (light store), wrapping
	lastPublishes uint32        // publishes at the timer's last look (under mu)
	stopped       atomic.Bool   // Close stopped the timer: it must not re-arm itself
}

// Producer opens the producing side of the ring. Options choose the wait
// strategy and batching; by default the producer wakes its consumer with
// Tachyon's futex, which any Tachyon consumer understands.
func (r *Ring) Producer(opts ...Option) (*Producer, error) {
	cfg := defaultConfig()
	if err := cfg.apply(opts); err != nil {
		return nil, err
	}
	p := &Producer{r: r, every: cfg.publishEvery, tachyonWrap: cfg.tachyonWrap,
		st: counters{block: r.producerStats}}
	if p.h = takeHold(p, r.seg); p.h == nil {
		return nil, ErrClosed
	}
	// The peer may have written anything since Attach checked the indices.
	head, tail := r.head.Load(), r.tail.Load()
	if err := r.checkIndices(head, tail); err != nil {
		p.h.release()
		return nil, r.fail(err)
	}
	p.head, p.published, p.tail = head, head, tail
	p.setEarlyWrap(cfg.earlyWrap)
	p.fastMax = p.MaxPayload()
	p.st.load()
	p.w = newWaiter(r.producerSleeping, r.tail, producerFutexRecheck, &cfg, &p.st, r.seg)
	p.k = waker{word: r.consumerSleeping, bell: cfg.wake, st: &p.st}
	offerFenceFree(&p.w, &p.k, r.producerFlags, r.consumerFlags)
	if p.every > 1 {
		p.startBatching(cfg.flushDelay)
	}
	return p, nil
}

// SetPublishEvery turns on batching after the producer opened, as
// WithPublishEvery(n) and WithFlushDelay(delay) would have at Producer. It
// is meant for a producer opened without batching that is handed to code
// that wants it (package conn's frame mode): it fails on a producer that
// already batches and while a view is acquired. Call it from the producer's
// goroutine.
func (p *Producer) SetPublishEvery(n int, delay time.Duration) error {
	cfg := defaultConfig()
	if err := cfg.apply([]Option{WithPublishEvery(n), WithFlushDelay(delay)}); err != nil {
		return err
	}
	switch {
	case p.batch != nil:
		return errors.New("shmring: producer already batches")
	case p.acquired:
		return ErrBusy
	case n == 1:
		return nil
	}
	p.every = n
	p.startBatching(delay)
	return nil
}

// startBatching sets up the idle-flush timer of a batching producer.
func (p *Producer) startBatching(delay time.Duration) {
	p.batch = &batchState{delay: delay, light: lightBatchOn && sys.ProcessBarrierAvailable()}
	p.batch.timer = time.AfterFunc(time.Hour, p.idleFlush)
	p.batch.timer.Stop()
}

// Acquire returns a writable view of exactly n payload bytes inside the ring.
// It never blocks: it fails with ErrFull when the consumer has not freed
// enough room yet and with a *TooLargeError when n exceeds MaxPayload.
func (p *Producer) Acquire(n int) ([]byte, error) {
	if p.batch == nil {
		if b, ok := p.quick(n, n); ok {
			return b, nil
		}
	}
	return p.acquire(n, n)
}

// AcquireUpTo returns a writable view of between minN and maxN payload bytes,
// as many as fit now. A maxN above MaxPayload is lowered to it; a minN above
// it is a *TooLargeError.
func (p *Producer) AcquireUpTo(minN, maxN int) ([]byte, error) {
	if p.batch == nil {
		if b, ok := p.quick(minN, maxN); ok {
			return b, nil
		}
	}
	return p.acquire(minN, maxN)
}

// quick is the common case of both acquires, decided without the general
// fitting: a slot of maxN bytes fits before the physical end and in the
// room already known. That is the view fit would choose first; anything
// else (ok false) goes the general way. A batching producer calls it under
// lock.
func (p *Producer) quick(minN, maxN int) (b []byte, ok bool) {
	if p.acquired || p.err != nil || minN < 0 || maxN < minN || maxN > p.fastMax {
		return nil, false
	}
	slot := uint64(slotSize(maxN))
	phys := p.head & p.r.mask
	if p.earlyWrapDue(phys, slot) {
		return nil, false // an early wrap to consider (wrapEarly)
	}
	if slot > p.r.cap-phys || slot > p.r.cap-(p.head-p.tail) ||
		!p.h.open() || p.r.consumerFlags.Load()&FlagClosed != 0 {
		return nil, false
	}
	p.acquired, p.acqLen, p.acqWrap = true, maxN, 0
	off := phys + HeaderSize
	return p.r.data[off : off+uint64(maxN) : off+uint64(maxN)], true
}

func (p *Producer) acquire(minN, maxN int) ([]byte, error) {
	if p.batch == nil {
		return p.acquireLocked(minN, maxN)
	}
	light := p.lock()
	b, ok := p.quick(minN, maxN)
	var err error
	if !ok {
		b, err = p.acquireLocked(minN, maxN)
	}
	p.unlock(light)
	return b, err
}

func (p *Producer) acquireLocked(minN, maxN int) ([]byte, error) {
	if minN < 0 || maxN < minN {
		return nil, fmt.Errorf("shmring: bad acquire size range [%d, %d]", minN, maxN)
	}
	if p.acquired {
		return nil, ErrBusy
	}
	if p.err != nil {
		return nil, p.err
	}
	limit := p.MaxPayload()
	if minN > limit {
		return nil, &TooLargeError{Size: minN, Max: limit}
	}
	maxN = min(maxN, limit)
	if !p.h.live() {
		return nil, ErrClosed
	}
	if p.r.consumerFlags.Load()&FlagClosed != 0 {
		return nil, ErrPeerClosed
	}
	if b, ok, err := p.wrapEarly(maxN); ok || err != nil {
		return b, err
	}
	for range 2 {
		phys := p.head & p.r.mask
		toEnd := p.r.cap - phys
		free, err := p.room(uint64(slotSize(maxN)) + toEnd)
		if err != nil {
			return nil, err
		}
		if n, wrap, ok := fit(free, toEnd, minN, maxN); ok {
			return p.grant(n, wrap, toEnd), nil
		}
		// Not even minN fits before the physical end: if the wrap marker
		// fits, write it now, so the frame only has to wait for room at
		// offset 0. This is what makes any frame up to MaxPayload
		// progress, where Tachyon guarantees only cap/2. Not with
		// WithTachyonWrap: a Tachyon consumer misreads a marker
		// published alone.
		if p.tachyonWrap || uint64(slotSize(minN)) <= toEnd || free < toEnd {
			break
		}
		p.writeWrapMarker(phys, toEnd)
		p.head += toEnd
		p.pending++
	}
	// Publish what is pending, an eager wrap marker included: the consumer
	// must see it to free the room this frame waits for, also when the
	// caller retries Acquire without Wait or Flush (a spinning producer
	// would otherwise never see room at offset 0).
	if p.pending > 0 {
		p.publish()
	}
	return nil, ErrFull
}

// MaxPayload is the largest payload this producer accepts: the ring's
// MaxPayload, or with WithTachyonWrap the largest frame whose slot is at most
// half the ring (without an early wrap marker, only those are sure to fit
// from any position).
func (p *Producer) MaxPayload() int {
	if p.tachyonWrap {
		return int(p.r.cap)/2 - HeaderSize
	}
	return p.r.MaxPayload()
}

// fit chooses a payload size in [minN, maxN] for the room there is: free
// bytes in all, toEnd of them before the physical end. It prefers maxN here,
// then maxN after a wrap, then the larger partial view.
func fit(free, toEnd uint64, minN, maxN int) (n int, wrap bool, ok bool) {
	here := min(free, toEnd)
	var there uint64
	if free > toEnd {
		there = free - toEnd
	}
	if uint64(slotSize(maxN)) <= here {
		return maxN, false, true
	}
	if uint64(slotSize(maxN)) <= there {
		return maxN, true, true
	}
	ph, pt := payloadRoom(here), payloadRoom(there)
	if ph >= minN && ph >= pt {
		return ph, false, true
	}
	if pt >= minN {
		return pt, true, true
	}
	return 0, false, false
}

// payloadRoom is the largest payload a slot of at most room bytes holds.
func payloadRoom(room uint64) int { return int(room) - HeaderSize }

// room returns the free bytes in the ring, reloading the consumer's tail when
// the cached value shows fewer than want.
func (p *Producer) room(want uint64) (uint64, error) {
	free := p.r.cap - (p.head - p.tail)
	if free >= want {
		return free, nil
	}
	if err := p.loadTail(); err != nil {
		return 0, err
	}
	return p.r.cap - (p.head - p.tail), nil
}

// loadTail reads the consumer's tail and checks it: it only moves forward,
// in whole slots, and never past what we published.
func (p *Producer) loadTail() error {
	t := p.r.tail.Load()
	if t == p.tail {
		return nil
	}
	if t-p.tail > p.published-p.tail || t%MsgAlignment != 0 {
		p.err = p.r.fail(corruptf("consumer tail %d outside [%d, %d]", t, p.tail, p.published))
		return p.err
	}
	p.tail = t
	return nil
}

// grant hands out the view, valid until Commit or Rollback.
func (p *Producer) grant(n int, wrap bool, toEnd uint64) []byte {
	p.acquired, p.acqLen, p.acqWrap = true, n, 0
	pos := p.head
	if wrap {
		p.acqWrap = toEnd
		pos += toEnd
	}
	off := int(pos&p.r.mask) + HeaderSize
	return p.r.data[off : off+n : off+n]
}

// Commit publishes the acquired view's first n bytes as a frame of type t.
func (p *Producer) Commit(n int, t TypeID) error { return p.commit(n, t, 0) }

// CommitCorrelated is Commit for RPC rings: it also stores correlationID
// at header offset 16.
func (p *Producer) CommitCorrelated(n int, t TypeID, correlationID uint64) error {
	return p.commit(n, t, correlationID)
}

func (p *Producer) commit(n int, t TypeID, corr uint64) error {
	light := p.lock()
	if !p.acquired || n < 0 || n > p.acqLen {
		p.unlock(light)
		return p.commitError(n)
	}
	if p.acqWrap != 0 {
		p.writeWrapMarker(p.head&p.r.mask, p.acqWrap)
		p.head += p.acqWrap
	}
	reserved := slotSize(p.acqLen)
	p.writeHeader(p.head&p.r.mask, uint32(n), uint32(t), uint32(reserved), corr)
	p.head += uint64(reserved)
	p.acquired = false
	p.st.addFrame(uint64(n))
	p.pending++
	if p.pending >= p.every {
		p.publish()
	} else {
		p.armFlush()
	}
	p.prefetchNext()
	if !p.h.open() {
		p.h.release() // the view of a closed ring takes the mapping with it
	}
	p.unlock(light)
	return nil
}

// commitError is the error of a Commit that is not one: without a view, or
// of more bytes than the view holds (which keeps the view).
func (p *Producer) commitError(n int) error {
	if !p.acquired {
		return errors.New("shmring: commit without acquire")
	}
	return fmt.Errorf("shmring: commit of %d bytes, acquired %d", n, p.acqLen)
}

// Rollback abandons the acquired view; nothing is published.
func (p *Producer) Rollback() {
	defer p.unlock(p.lock())
	p.acquired = false
	p.h.live()
}

// writeHeader writes a frame header at physical offset off. Bytes 12–63
// are zeroed: Tachyon leaves them undefined on plain rings.
func (p *Producer) writeHeader(off uint64, size, typeID, reserved uint32, corr uint64) {
	h := (*[HeaderSize]byte)(p.r.data[off : off+HeaderSize])
	ne := binary.NativeEndian
	ne.PutUint32(h[hdrSize:], size)
	ne.PutUint32(h[hdrTypeID:], typeID)
	ne.PutUint32(h[hdrReservedSize:], reserved)
	ne.PutUint32(h[hdrPad:], 0)
	ne.PutUint64(h[hdrCorrelationID:], corr)
	*(*[HeaderSize - hdrCorrelationID - 8]byte)(h[hdrCorrelationID+8:]) = [HeaderSize - hdrCorrelationID - 8]byte{}
}

func (p *Producer) writeWrapMarker(off, skip uint64) {
	p.writeHeader(off, WrapMarker, 0, uint32(skip), 0)
}

// publish stores head for the consumer, then wakes it if it sleeps.
func (p *Producer) publish() {
	storeIndex(p.r.head, p.head, &p.fence, !p.k.fenceFree)
	p.published = p.head
	p.pending = 0
	if b := p.batch; b != nil {
		// Written by the producer's calls or by the timer, never both at
		// once (batchlight.go).
		sys.LightStore32(&b.publishes, b.publishes.Load()+1)
	}
	p.st.add(statPublishes, 1)
	p.k.wake()
}

// Flush publishes every committed frame now.
func (p *Producer) Flush() error {
	defer p.unlock(p.lock())
	if p.acquired && !p.h.open() || !p.acquired && !p.h.live() {
		return ErrClosed
	}
	if p.pending > 0 {
		p.publish()
	}
	return nil
}

func (p *Producer) armFlush() {
	if p.batch != nil && !p.batch.armed {
		p.batch.armed = true
		p.batch.timer.Reset(p.batch.delay)
	}
}

// idleFlush runs on the batch timer.
func (p *Producer) idleFlush() {
	b := p.batch
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopped.Load() {
		return
	}
	if b.light {
		if !p.takeFromLight() {
			if !b.stopped.Load() {
				b.timer.Reset(b.delay) // the producer is busy: look again later
			}
			return
		}
		defer b.flushing.Store(0)
	}
	b.armed = false
	if p.pending > 0 && p.h.open() {
		p.publish()
	}
}

// Wait blocks until a frame of n payload bytes may fit, the consumer closes,
// the deadline set by SetDeadline passes (os.ErrDeadlineExceeded), or
// Interrupt is called. It publishes pending frames first. A nil return means
// "try Acquire again", not a guarantee.
func (p *Producer) Wait(n int) error {
	light := p.lock()
	if p.acquired && !p.h.open() || !p.acquired && !p.h.live() {
		p.unlock(light)
		return ErrClosed
	}
	if p.pending > 0 {
		p.publish()
	}
	p.unlock(light)
	need := uint64(slotSize(min(n, p.MaxPayload())))
	phys := p.head & p.r.mask
	if toEnd := p.r.cap - phys; need > toEnd {
		if p.tachyonWrap {
			need += toEnd // marker and frame are written together
		} else {
			need = toEnd // room for the wrap marker is progress enough
		}
	}
	return p.w.wait(func() bool {
		if p.r.consumerFlags.Load()&FlagClosed != 0 {
			return true
		}
		t := p.r.tail.Load()
		return t != p.tail && (p.r.cap-(p.head-t) >= need || t-p.tail > p.published-p.tail)
	})
}

// AcquireContext is Acquire that waits for room until ctx is done.
func (p *Producer) AcquireContext(ctx context.Context, n int) ([]byte, error) {
	for {
		b, err := p.Acquire(n)
		if err != ErrFull {
			return b, err
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := p.waitWith(ctx, n); err != nil {
			return nil, err
		}
	}
}

// waitWith is Wait with ctx registered for it (ctxHook): the wait of
// AcquireContext, Send and WaitContext.
func (p *Producer) waitWith(ctx context.Context, n int) error {
	p.hook.arm(ctx, p)
	err := p.Wait(n)
	p.hook.settle()
	return err
}

// WaitContext is Wait that ctx's end also cuts short, as Consumer's
// WaitContext is; a context that comes to two waits in a row stays
// registered with the producer until another context comes or the
// producer closes. AcquireContext and Send wait the same way.
func (p *Producer) WaitContext(ctx context.Context, n int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := p.waitWith(ctx, n); err != nil {
		return err
	}
	return ctx.Err()
}

// Send copies payload into one frame of type t, waiting for room until ctx
// is done.
func (p *Producer) Send(ctx context.Context, t TypeID, payload []byte) error {
	b, err := p.AcquireContext(ctx, len(payload))
	if err != nil {
		return err
	}
	copy(b, payload)
	return p.Commit(len(payload), t)
}

// SetDeadline bounds Wait (present and future); zero means no deadline. Safe
// from any goroutine.
func (p *Producer) SetDeadline(t time.Time) { p.w.setDeadline(t) }

// Interrupt makes a Wait in progress, or the next one, return early. Safe from
// any goroutine.
func (p *Producer) Interrupt() { p.w.interrupt() }

// Close publishes what was committed, tells the consumer that no frame will
// follow (it reads io.EOF once drained) and wakes it. It lets go of the
// producer's hold on the mapping, which the Ring's Close then releases.
func (p *Producer) Close() error {
	defer p.unlock(p.lock())
	if p.err == ErrClosed {
		return nil
	}
	p.acquired = false
	p.err = ErrClosed
	p.hook.disarm()
	if p.batch != nil {
		p.batch.stopped.Store(true) // before Stop: a running callback must not re-arm
		p.batch.timer.Stop()
	}
	defer p.h.release()
	if !p.h.live() {
		return nil
	}
	p.r.head.Store(p.head)
	p.published, p.pending = p.head, 0
	p.r.producerFlags.Or(FlagClosed)
	p.k.wake()
	return nil
}

// Stats returns this producer's counters; safe from any goroutine. Once the
// ring is closed it returns the zero Stats.
func (p *Producer) Stats() Stats { return p.r.stats(p.r.producerStats) }
