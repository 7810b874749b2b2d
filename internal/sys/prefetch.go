//go:build amd64 || arm64

package sys

import "unsafe"

// PrefetchStore asks the CPU for the two cache lines at p and p+64 in a
// state it can write them in, ahead of the stores that will fill them. It
// is a hint: it changes no memory, never faults, and costs the call when
// the lines are already there. A ring producer streaming small frames
// otherwise waits at each frame for lines its consumer's core read a lap
// ago (PREFETCHW on amd64, PRFM PSTL1KEEP on arm64).
//
//go:noescape
func PrefetchStore(p unsafe.Pointer)
