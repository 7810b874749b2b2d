package shmring

import (
	"unsafe"

	"github.com/tachyon-ipc/tachyon-go/internal/sys"
)

// prefetchAhead is how far past head a producer asks for the lines it
// will write next (sys.PrefetchStore), after each commit. A frame's lines
// were last read by the consumer's core a lap ago; without the hint each
// store that starts a line waits for that line to come over, and a
// producer of small frames spends most of its time waiting, one line at a
// time. Measured between two processes (tachyon-bench -only
// shm-raw/one-way -sizes 32,1K -count 3, builds with and without the hint
// alternated twice, 2026-12-07 00:50 UTC): 32-byte frames 955-991 MB/s
// against 346-357 MB/s, 1 KiB frames 3.64-3.81 against 2.97-3.26 GB/s;
// 512 bytes did better than 1 and 2 KiB at 32 bytes. Ping-pong did not
// move (tachyon-bench -cxx -only ping-pong -count 5, the same
// alternations).
const prefetchAhead = 512

// prefetchMinCapacity is the smallest ring that gets the hint: in a
// smaller one the lines ahead are the consumer's.
const prefetchMinCapacity = 8 * prefetchAhead

// prefetchNext asks for the two lines prefetchAhead bytes past head,
// rounded down to a 128-byte pair (the data area starts 128-byte aligned).
func (p *Producer) prefetchNext() {
	if p.r.cap >= prefetchMinCapacity {
		sys.PrefetchStore(unsafe.Pointer(&p.r.data[(p.head+prefetchAhead)&p.r.mask&^127]))
	}
}
