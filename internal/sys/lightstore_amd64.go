//go:build !race

package sys

import (
	"sync/atomic"
	"unsafe"
)

// LightStoresPlain reports whether LightStore32 and LightStore64 are plain
// stores here, which a later load may pass: a caller that needs its store
// ordered before a later load adds a barrier of its own (or pairs the
// store with ProcessBarrier). Where it is false they are sequentially
// consistent stores, already a full barrier.
const LightStoresPlain = true

// LightStore32 stores v into *p with a plain MOV: on amd64 stores leave the
// CPU in program order (so v is seen after every store before it), but a
// load after it may be satisfied first. Pair it with ProcessBarrier. Loads
// of *p stay atomic.
func LightStore32(p *atomic.Uint32, v uint32) { *(*uint32)(unsafe.Pointer(p)) = v }

// LightStore64 is LightStore32 for a 64-bit word.
func LightStore64(p *atomic.Uint64, v uint64) { *(*uint64)(unsafe.Pointer(p)) = v }
