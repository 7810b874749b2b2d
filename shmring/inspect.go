package shmring

import (
	"errors"
	"fmt"
	"unsafe"

	"github.com/tachyon-ipc/tachyon-go/internal/sys"
)

// SleepWord is the value of a side's sleeping word (ABI.md §1): whether it is
// awake, parked waiting for a wake, or in pure-spin mode (never woken).
type SleepWord uint32

// Sleeping word values.
const (
	WordAwake        SleepWord = awake
	WordSleeping     SleepWord = sleeping     // on the futex word
	WordPureSpin     SleepWord = pureSpin     // never woken
	WordBellSleeping SleepWord = bellSleeping // on its doorbell (tachyon-go doorbell mode)
)

// String names the word's value: awake, sleeping, pure-spin,
// sleeping-doorbell, or invalid(N).
func (w SleepWord) String() string {
	switch w {
	case WordAwake:
		return "awake"
	case WordSleeping:
		return "sleeping"
	case WordPureSpin:
		return "pure-spin"
	case WordBellSleeping:
		return "sleeping-doorbell"
	}
	return fmt.Sprintf("invalid(%d)", uint32(w))
}

// Info is what a ring's control block says, read without writing a byte:
// what an observer such as tachyon-top shows. Every field is a snapshot
// taken word by word while both sides may be running.
type Info struct {
	Capacity int   // data bytes
	State    State // lifecycle word
	Head     uint64
	Tail     uint64
	Fill     int // published bytes not yet released: Head-Tail, at most Capacity

	Consumer     Stats     // the consumer's counters (Extended only)
	Producer     Stats     // the producer's counters (Extended only)
	ConsumerWord SleepWord // consumer_sleeping, offset 384
	ProducerWord SleepWord // producer_sleeping, offset 520 (Extended only)
	ProducerEOF  bool      // the producer closed: no frame follows Head
	ConsumerGone bool      // the consumer closed: nobody reads any more
	Extended     bool      // a tachyon-go creator marked the extension words live
	ExtVersion   uint32    // version of the tachyon-go extensions (Extended only)
}

// ErrNotRing means bytes that are not a ring's control block.
var ErrNotRing = errors.New("shmring: not a ring control block")

// Inspect reads the control block at the start of mem, typically a read-only
// mapping of a segment another process owns, and never writes to it. mem
// needs only the first ControlSize bytes and must be 8-byte aligned, as every
// mapping is. It fails with an error wrapping ErrNotRing when the magic,
// version, alignment or capacity are not a ring's; the rest is reported as
// found, since a peer may write anything there.
func Inspect(mem []byte) (Info, error) {
	if len(mem) < ControlSize {
		return Info{}, fmt.Errorf("%w: %d bytes, a control block has %d", ErrNotRing, len(mem), ControlSize)
	}
	if uintptr(unsafe.Pointer(&mem[0]))%8 != 0 {
		return Info{}, fmt.Errorf("%w: control block not 8-byte aligned", ErrNotRing)
	}
	word := func(off int) uint32 { return u32At(mem, off).Load() }
	if m := word(offMagic); m != Magic {
		return Info{}, fmt.Errorf("%w: magic %#x", ErrNotRing, m)
	}
	if v := word(offVersion); v != WireVersion {
		return Info{}, fmt.Errorf("%w: wire version %d", ErrNotRing, v)
	}
	if a := word(offAlignment); a != MsgAlignment {
		return Info{}, fmt.Errorf("%w: message alignment %d", ErrNotRing, a)
	}
	capacity := int(word(offCapacity))
	if err := CheckCapacity(capacity); err != nil {
		return Info{}, fmt.Errorf("%w: %v", ErrNotRing, err)
	}
	in := Info{
		Capacity:     capacity,
		State:        State(word(offState)),
		Head:         u64At(mem, offHead).Load(),
		Tail:         u64At(mem, offTail).Load(),
		ConsumerWord: SleepWord(word(offConsumerSleeping)),
		Extended:     word(offExtMagic) == ExtMagic,
	}
	in.Fill = int(min(in.Head-in.Tail, uint64(capacity)))
	if in.Extended {
		in.ExtVersion = word(offExtVersion)
		in.ProducerWord = SleepWord(word(offProducerSleeping))
		in.ProducerEOF = word(offProducerFlags)&FlagClosed != 0
		in.ConsumerGone = word(offConsumerFlags)&FlagClosed != 0
		in.Producer = (*statsBlock)(unsafe.Pointer(&mem[offProducerStats])).snapshot()
		in.Consumer = (*statsBlock)(unsafe.Pointer(&mem[offConsumerStats])).snapshot()
	}
	return in, nil
}

// Info inspects this ring's own control block; safe from any goroutine.
func (r *Ring) Info() (Info, error) {
	if !r.seg.enter() {
		return Info{}, ErrClosed
	}
	defer r.seg.exit()
	return Inspect(r.ctl)
}

// InspectFd inspects the segment behind fd, typically opened from another
// process's /proc/PID/fd, without writing to it: it checks that the file
// is sealed against shrinking and holds a control block (so no access can
// fault), maps the control block read-only, inspects it and unmaps it.
func InspectFd(fd int) (Info, error) {
	size, err := sys.ShrinkSealedSize(fd)
	if err != nil {
		return Info{}, fmt.Errorf("%w: %v", ErrNotRing, err)
	}
	if size < ControlSize {
		return Info{}, fmt.Errorf("%w: %d-byte file, a control block has %d", ErrNotRing, size, ControlSize)
	}
	mem, err := sys.MapReadOnly(fd, ControlSize)
	if err != nil {
		return Info{}, err
	}
	defer sys.Unmap(mem)
	return Inspect(mem)
}
