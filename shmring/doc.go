// Package shmring is one Tachyon ring: a strictly bounded single-producer,
// single-consumer queue of frames in a sealed memfd, byte-compatible with
// Tachyon's wire version 4, with a zero-copy API and goroutine-friendly
// waiting.
//
// Make a ring, open its two sides, fill and drain it:
//
//	r, err := shmring.Create("my-ring", 1<<20) // 1 MiB data area, a power of two
//	p, err := r.Producer()
//	c, err := r.Consumer()
//
//	b, err := p.Acquire(len(msg)) // a writable view inside the ring; ErrFull if no room now
//	copy(b, msg)
//	err = p.Commit(len(msg), shmring.MakeTypeID(route, kind))
//
//	f, err := c.Acquire()         // a read-only view of the next frame; ErrEmpty if none now
//	use(f.Payload, f.Type)
//	err = c.Commit()              // releases every frame acquired so far
//
// AcquireContext and Send wait for room, and Consumer.AcquireContext for a
// frame: they spin briefly, then park the goroutine (WithSpin, WithDoorbells,
// WithPureSpin choose how). Drain takes a batch of frames at once;
// WithPublishEvery batches publications as Tachyon does; View and
// AcquireView give typed views of frames. Errors are distinct: ErrFull and
// ErrEmpty are transient, a *TooLargeError is permanent and names the limit,
// ErrPeerClosed and io.EOF end a stream, a *CorruptError means the peer wrote
// something invalid into shared memory (never a panic).
//
// Between processes, a ring's memfd travels over a Unix socket (Ring.Fd,
// then Attach on the other side, which checks seals and sizes before it
// maps anything). Package conn does all of that for a pair of rings, with
// credentials and peer-death detection, and (*conn.Conn).Frames gives this
// package's frame API over them; package bus talks to Tachyon's own
// programs.
//
// Wire-level names (ControlSize, Magic, Segment, offsets, the sleeping-word
// values) are exported for the packages that speak the wire and for
// observers such as tachyon-top; ABI.md documents every byte. An
// application needs none of them.
package shmring
