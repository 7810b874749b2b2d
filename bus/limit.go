package bus

import (
	"math/bits"

	"github.com/tachyon-ipc/tachyon-go/shmring"
)

// tachyonBatch is how many commits Tachyon's consumer makes before it
// publishes its tail.
const tachyonBatch = 32

// TachyonMaxPayload returns the largest payload a producer may write into a
// ring of the given capacity when the consumer is Tachyon's C++ core, or -1
// when even an empty frame is unsafe (capacity below 2048).
//
// Derivation (ABI.md §6): a Tachyon consumer publishes its tail only after
// every 32nd commit, so up to 31 frames it has already read still count as
// used for the producer. The 32nd frame must therefore fit beside them, plus
// at most one wrap, which wastes less than one slot (a wrap marker skips the
// bytes before the physical end, at most slot − 64 when the next slot does
// not fit there). With every slot at most S bytes:
//
//	32·S + (S − 64) ≤ capacity  ⇔  S ≤ (capacity + 64) / 33
//
// S is a multiple of 64 and a payload of n bytes needs S = 64 + n rounded up
// to 64, so the limit is ⌊(capacity+64)/33⌋ rounded down to 64, minus 64:
// 1920 bytes for a 64 KiB ring, 384 for 16 KiB, 0 for 2 KiB.
func TachyonMaxPayload(capacity int) int {
	slot := ((capacity + shmring.HeaderSize) / (tachyonBatch + 1)) &^ (shmring.MsgAlignment - 1)
	if slot < shmring.HeaderSize {
		return -1
	}
	return slot - shmring.HeaderSize
}

// CapacityFor returns the smallest valid ring capacity for which
// TachyonMaxPayload is at least n, or 0 if no capacity up to
// shmring.MaxCapacity is enough.
func CapacityFor(n int) int {
	if n < 0 {
		n = 0
	}
	slot := (shmring.HeaderSize + n + shmring.MsgAlignment - 1) &^ (shmring.MsgAlignment - 1)
	need := (tachyonBatch+1)*slot - shmring.HeaderSize
	c := max(shmring.MinCapacity, 1<<bits.Len(uint(need-1)))
	if c > shmring.MaxCapacity {
		return 0
	}
	return c
}
