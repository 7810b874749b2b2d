package tachyontest

import (
	"encoding/binary"
	"errors"
	"runtime"
	"time"

	"github.com/tachyon-ipc/tachyon-go/internal/sys"
)

// Producer writes frames the way Tachyon's C++ Arena does. It is not safe
// for concurrent use.
type Producer struct {
	r          *Ring
	localHead  uint64
	cachedTail uint64
	preHead    uint64 // head after any wrap marker of the acquire in progress
	reserved   uint64 // slot size of the acquire in progress; 0 if none
	pending    int

	// ScribbleHeader fills header bytes 12–63 of plain frames with junk,
	// as the stale payload bytes a real Tachyon ring leaves there.
	ScribbleHeader bool
}

// ErrTimeout is returned when a blocking helper passes its deadline.
var ErrTimeout = errors.New("tachyontest: deadline passed")

// NewProducer opens the producing side of r.
func NewProducer(r *Ring) *Producer {
	h := r.head.Load()
	return &Producer{r: r, localHead: h, cachedTail: r.tail.Load()}
}

// Acquire returns a writable view of n payload bytes, or nil when the ring
// has no room now or the frame can never fit (Tachyon does not tell the two
// apart). When the slot does not fit before the physical end it writes the
// wrap marker at once, as Tachyon does.
func (p *Producer) Acquire(n int) []byte {
	need := slot(n)
	if need > p.r.cap || n < 0 {
		return nil
	}
	phys := p.localHead & (p.r.cap - 1)
	toEnd := p.r.cap - phys
	required := need
	wrap := toEnd < need
	if wrap {
		required += toEnd
	}
	if p.localHead-p.cachedTail+required > p.r.cap {
		p.cachedTail = p.r.tail.Load()
		if p.localHead-p.cachedTail+required > p.r.cap {
			return nil
		}
	}
	if wrap {
		h := p.r.data[phys : phys+HeaderSize]
		clear(h)
		binary.NativeEndian.PutUint32(h, WrapMarker)
		p.localHead += toEnd
		phys = 0
	}
	p.preHead, p.reserved = p.localHead, need
	return p.r.data[phys+HeaderSize : phys+need]
}

// Commit publishes the acquired frame's first n bytes with typeID: it writes
// header bytes 0–11 only (size, type_id, reserved_size).
func (p *Producer) Commit(n int, typeID uint32) bool {
	h, ok := p.header(n)
	if !ok {
		return false
	}
	if p.ScribbleHeader {
		for i := 12; i < HeaderSize; i++ {
			h[i] = byte(0xA5 ^ i ^ int(p.localHead>>6))
		}
	}
	p.putMeta(h, n, typeID)
	return p.advance()
}

// CommitRPC is Commit for RPC rings: it writes header bytes 0–23 (size,
// type_id, reserved_size, zero padding, correlation_id).
func (p *Producer) CommitRPC(n int, typeID uint32, correlationID uint64) bool {
	h, ok := p.header(n)
	if !ok {
		return false
	}
	p.putMeta(h, n, typeID)
	binary.NativeEndian.PutUint32(h[12:], 0)
	binary.NativeEndian.PutUint64(h[16:], correlationID)
	return p.advance()
}

func (p *Producer) header(n int) ([]byte, bool) {
	if p.reserved == 0 || n < 0 || uint64(n) > p.reserved-HeaderSize {
		p.reserved = 0
		return nil, false
	}
	phys := p.localHead & (p.r.cap - 1)
	return p.r.data[phys : phys+HeaderSize], true
}

func (p *Producer) putMeta(h []byte, n int, typeID uint32) {
	ne := binary.NativeEndian
	ne.PutUint32(h[0:], uint32(n))
	ne.PutUint32(h[4:], typeID)
	ne.PutUint32(h[8:], uint32(p.reserved))
}

func (p *Producer) advance() bool {
	p.localHead += p.reserved
	p.reserved = 0
	p.pending++
	if p.pending >= BatchSize {
		p.publish()
	}
	return true
}

// Rollback abandons the acquired frame. A wrap marker the acquire wrote
// stays, as in Tachyon.
func (p *Producer) Rollback() bool {
	if p.reserved == 0 {
		return false
	}
	p.localHead, p.reserved = p.preHead, 0
	return true
}

// Flush publishes every committed frame now.
func (p *Producer) Flush() {
	if p.pending > 0 {
		p.publish()
	}
}

// publish stores head, then wakes a sleeping consumer with a shared futex,
// unless the consumer declared pure spin.
func (p *Producer) publish() {
	p.r.head.Store(p.localHead)
	p.pending = 0
	if p.r.sleeping.Load() != sleepSpin && p.r.sleeping.Load() == sleepAsleep {
		sys.FutexWake(p.r.sleeping, 1)
	}
}

// Send copies payload into one frame, spinning while the ring is full as a
// Tachyon producer does (it flushes what it holds before spinning, so the
// consumer can make room). It does not flush after the commit unless flush
// is set: Tachyon's bindings flush on every send, its C++ benchmarks every
// 32 frames.
func (p *Producer) Send(payload []byte, typeID uint32, flush bool, deadline time.Time) error {
	b, err := p.acquireSpin(len(payload), deadline)
	if err != nil {
		return err
	}
	copy(b, payload)
	p.Commit(len(payload), typeID)
	if flush {
		p.Flush()
	}
	return nil
}

func (p *Producer) acquireSpin(n int, deadline time.Time) ([]byte, error) {
	for i := 0; ; i++ {
		if b := p.Acquire(n); b != nil {
			return b, nil
		}
		if slot(n) > p.r.cap {
			return nil, errors.New("tachyontest: frame larger than the ring")
		}
		p.Flush()
		if i%64 == 63 && time.Now().After(deadline) {
			return nil, ErrTimeout
		}
		runtime.Gosched()
	}
}
