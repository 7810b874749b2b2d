package shmring

import "sync/atomic"

// statsBlock is one side's counters in the shared control block (ABI.md
// §1.5): eight u64 words on a cache line of their own, written only by that
// side with plain atomic stores and read by anyone (tachyon-top included).
type statsBlock [8]atomic.Uint64

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
	Frames    uint64 // frames committed
	Bytes     uint64 // payload bytes committed
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
	c.block[i].Store(c.v[i])
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
