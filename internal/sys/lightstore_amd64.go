//go:build !race

package sys

import (
	"sync/atomic"
	"unsafe"
)

// LightStore32 stores v into *p with a plain MOV: on amd64 stores leave the
// CPU in program order (so v is seen after every store before it), but a
// load after it may be satisfied first. Pair it with ProcessBarrier. Loads
// of *p stay atomic.
func LightStore32(p *atomic.Uint32, v uint32) { *(*uint32)(unsafe.Pointer(p)) = v }
