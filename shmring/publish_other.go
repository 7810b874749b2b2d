//go:build !amd64 || race

package shmring

import "sync/atomic"

// storeIndex publishes v, a new value of the index this side owns, before
// every later load: a sequentially consistent store (on arm64 a store-
// release, which a later load-acquire does not pass). Under the race
// detector amd64 takes this path too.
func storeIndex(idx *atomic.Uint64, v uint64, _ *atomic.Uint32) { idx.Store(v) }
