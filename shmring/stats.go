package shmring

import (
	"sync/atomic"
	"unsafe"
)

// statsBlock is one side's counters in the shared control block (ABI.md
// §1.5): eight u64 words on a cache line of their own, written only by that
// side with plain stores and read by anyone (tachyon-top included).
type statsBlock [8]statWord

// Indices into a statsBlock.
const (
	statFrames    = iota // frames committed
	statBytes            // payload bytes committed
	statPublishes        // index stores (head for the producer, tail for the consumer)
	statWakes            // wake system calls sent to the peer
	statSpinWins         // waits that ended while spinning
	statParks            // waits that parked
	statWaits            // waits begun (ring full for the producer, empty for the consumer)
)

// Stats are one side's counters. They are cheap enough to leave on: each is
// written only by its owner, on a cache line no peer writes.
type Stats struct {
	Frames    uint64 // frames committed (producer) or acquired (consumer)
	Bytes     uint64 // payload bytes in those frames
	Publishes uint64 // index publications (head or tail stores)
	Wakes     uint64 // wake system calls sent to the peer
	SpinWins  uint64 // waits that ended while spinning
	Parks     uint64 // waits that parked the goroutine or thread
	Waits     uint64 // waits begun: ring full (producer) or empty (consumer)
}

// counters is the owner's private copy of a statsBlock; add mirrors each
// change into the shared block with a plain store.
type counters struct {
	v     [8]uint64
	block *statsBlock
}

func (c *counters) add(i int, n uint64) {
	c.v[i] += n
	if statsMirror {
		c.block[i].set(c.v[i])
	}
}

// addFrame counts one frame of n payload bytes.
func (c *counters) addFrame(n uint64) {
	c.v[statFrames]++
	c.v[statBytes] += n
	if statsMirror {
		c.block[statFrames].set(c.v[statFrames])
		c.block[statBytes].set(c.v[statBytes])
	}
}

// statsMirror is cleared only by benchmarks that measure what mirroring the
// counters costs (features_bench_test.go); nothing else changes it.
var statsMirror = true

// statWord is one shared counter. Its owner writes it with set; anyone reads
// it with an atomic load.
type statWord struct{ atomic.Uint64 }

// set stores v with a plain store where a machine word holds a uint64: one
// MOV on amd64 and arm64, which no reader sees torn. atomic.Uint64.Store
// would be an XCHG, a full barrier: measured at about 2 ns per frame on the
// one-way hot path (five counter updates per frame), for an ordering nobody
// needs.
func (w *statWord) set(v uint64) {
	if unsafe.Sizeof(uintptr(0)) == 8 {
		*(*uint64)(unsafe.Pointer(&w.Uint64)) = v
	} else {
		w.Store(v)
	}
}

func (b *statsBlock) snapshot() Stats {
	return Stats{
		Frames:    b[statFrames].Load(),
		Bytes:     b[statBytes].Load(),
		Publishes: b[statPublishes].Load(),
		Wakes:     b[statWakes].Load(),
		SpinWins:  b[statSpinWins].Load(),
		Parks:     b[statParks].Load(),
		Waits:     b[statWaits].Load(),
	}
}

// load starts the private copy from the shared block, for a side that opens
// a ring someone already used.
func (c *counters) load() {
	for i := range c.v {
		c.v[i] = c.block[i].Load()
	}
}
