package tachyontest

import (
	"encoding/binary"
	"errors"
	"runtime"
	"time"

	"github.com/tachyon-ipc/tachyon-go/internal/sys"
)

// Frame is a frame as Tachyon's consumer sees it.
type Frame struct {
	Payload       []byte // view into the ring, valid until Commit
	TypeID        uint32
	CorrelationID uint64 // read by AcquireRPC only
	Header        []byte // the 64 header bytes as they are in the ring
}

// Consumer reads frames the way Tachyon's C++ Arena does: it publishes its
// tail only every 32 commits. It is not safe for concurrent use.
type Consumer struct {
	r          *Ring
	localTail  uint64
	cachedHead uint64
	reserved   uint64
	pending    int

	// OnSleep, if set, runs in AcquireBlocking after consumer_sleeping
	// is 1 and the re-check found nothing, just before FUTEX_WAIT: a test
	// can tell its producer that the next publication must wake us.
	OnSleep func()
}

// ErrFatal is returned once the ring state is 4 (fatal error).
var ErrFatal = errors.New("tachyontest: ring state is fatal")

// sleepRecheck is how long Tachyon's consumer sleeps on the futex at most.
const sleepRecheck = 200 * time.Millisecond

// NewConsumer opens the consuming side of r.
func NewConsumer(r *Ring) *Consumer {
	t := r.tail.Load()
	return &Consumer{r: r, localTail: t, cachedHead: r.head.Load()}
}

// Acquire returns the next frame of a plain ring, reading header bytes 0–11.
// ok is false when no frame is ready or the header is bad (then the state is
// fatal).
func (c *Consumer) Acquire() (f Frame, ok bool) { return c.acquire(false) }

// AcquireRPC is Acquire for RPC rings: it also reads the correlation id.
func (c *Consumer) AcquireRPC() (f Frame, ok bool) { return c.acquire(true) }

func (c *Consumer) acquire(rpc bool) (Frame, bool) {
	if c.cachedHead <= c.localTail {
		c.cachedHead = c.r.head.Load()
		if c.cachedHead <= c.localTail {
			return Frame{}, false
		}
	}
	ne := binary.NativeEndian
	phys := c.localTail & (c.r.cap - 1)
	h := c.r.data[phys : phys+HeaderSize]
	if ne.Uint32(h) == WrapMarker {
		// Tachyon skips to offset 0 and reads the header there at once.
		c.localTail += c.r.cap - phys
		phys = 0
		h = c.r.data[0:HeaderSize]
	}
	size, typeID, reserved := uint64(ne.Uint32(h[0:])), ne.Uint32(h[4:]), uint64(ne.Uint32(h[8:]))
	if reserved < HeaderSize || reserved > c.r.cap || reserved%Alignment != 0 || size > reserved-HeaderSize {
		c.r.SetFatal()
		return Frame{}, false
	}
	if phys+reserved > c.r.cap {
		// Tachyon would read past the end of its mapping here; a test
		// helper reports corruption instead.
		c.r.SetFatal()
		return Frame{}, false
	}
	f := Frame{
		Payload: c.r.data[phys+HeaderSize : phys+HeaderSize+size],
		TypeID:  typeID,
		Header:  h,
	}
	if rpc {
		f.CorrelationID = ne.Uint64(h[16:])
	}
	c.reserved = reserved
	return f, true
}

// Commit releases the acquired frame; the tail is published every 32
// commits only, as in Tachyon (its C API offers no way to force it).
func (c *Consumer) Commit() {
	c.localTail += c.reserved
	c.reserved = 0
	c.pending++
	if c.pending >= BatchSize {
		c.r.tail.Store(c.localTail)
		c.pending = 0
	}
}

// AcquireBlocking waits for the next frame as tachyon_acquire_rx_blocking
// does: spin up to spins times, then store 1 into consumer_sleeping, re-check
// and FUTEX_WAIT for at most 200 ms, store 0, and loop. Unlike Tachyon it
// gives up at deadline (ErrTimeout) so that tests stay bounded.
func (c *Consumer) AcquireBlocking(rpc bool, spins int, deadline time.Time) (Frame, error) {
	n := 0
	for {
		if f, ok := c.acquire(rpc); ok {
			return f, nil
		}
		if c.r.state.Load() == StateFatal {
			return Frame{}, ErrFatal
		}
		if n < spins {
			n++
			if n%64 == 0 {
				runtime.Gosched()
			}
			continue
		}
		if time.Now().After(deadline) {
			return Frame{}, ErrTimeout
		}
		c.r.sleeping.Store(sleepAsleep) // sequentially consistent: the fence
		if f, ok := c.acquire(rpc); ok {
			c.r.sleeping.Store(sleepAwake)
			return f, nil
		}
		if c.OnSleep != nil {
			c.OnSleep()
		}
		sys.FutexWait(c.r.sleeping, sleepAsleep, sleepRecheck)
		c.r.sleeping.Store(sleepAwake)
		n = 0
	}
}
