package shmring

import "sync/atomic"

// slots is a counting semaphore that never blocks.
type slots struct {
	used atomic.Int32
	max  int32
}

func newSlots(n int) *slots { return &slots{max: int32(n)} }

// acquire takes a slot if one is free.
func (s *slots) acquire() bool {
	for {
		n := s.used.Load()
		if n >= s.max {
			return false
		}
		if s.used.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

func (s *slots) release() { s.used.Add(-1) }
