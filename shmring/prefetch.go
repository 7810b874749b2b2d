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
// time. Measured between two processes (tachyon-bench -cxx -count 5,
// builds without and with the hint alternated twice, 2026-12-07
// 01:24-01:28 UTC): a stream of 32-byte frames moved 322 and 384 MB/s
// without it, 978 and 925 MB/s with it, where io.Copy of 32-byte writes
// over a Unix socket moved 6.7-9.7 MB/s and Tachyon's C++ producer and
// consumer 0.87-1.00 GB/s in the same runs (0.36-0.38× of C++ before,
// 0.94-0.95× after); 1 KiB frames 1.30-1.41× C++ before, 1.41-1.60× after
// (Unix io.Copy 228-278 MB/s). Ping-pong did not move beyond the runs'
// spread: p50 1.09-1.37× C++ ↔ C++ with and 1.10-1.37× without, medians
// 1.20× and 1.13× over nine such pairs of runs that night. 512 bytes did
// at least as well as 1 and 2 KiB at 32 bytes.
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
