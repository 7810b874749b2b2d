//go:build !amd64 || race

package sys

import "sync/atomic"

// LightStoresPlain is false: LightStore32 and LightStore64 are atomic
// stores here.
const LightStoresPlain = false

// LightStore32 is an atomic store where a plain one is not ordered enough
// (weaker memory models) or would look like a data race (the race
// detector, which understands only atomics).
func LightStore32(p *atomic.Uint32, v uint32) { p.Store(v) }

// LightStore64 is LightStore32 for a 64-bit word.
func LightStore64(p *atomic.Uint64, v uint64) { p.Store(v) }
