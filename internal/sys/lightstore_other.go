//go:build !amd64 || race

package sys

import "sync/atomic"

// LightStore32 is an atomic store where a plain one is not ordered enough
// (weaker memory models) or would look like a data race (the race
// detector, which understands only atomics).
func LightStore32(p *atomic.Uint32, v uint32) { p.Store(v) }
