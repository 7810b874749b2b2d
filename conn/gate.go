package conn

import (
	"sync"
	"sync/atomic"
)

// gate is a mutex whose waiters give up when the connection closes: a Read
// queued behind a WriteTo that is stuck in its io.Writer must still return
// net.ErrClosed when Close is called. Uncontended it costs what a
// sync.Mutex does (a channel send and receive, which it used to be, cost
// six times as much: about 30 ns per Read or Write).
//
// Waiters never block in mu.Lock, which could not be abandoned: they
// retry TryLock each time unlock leaves a hint in freed. A waiter counts
// itself in waiters before its last TryLock and unlock looks at the count
// after releasing mu, so either the waiter's TryLock finds mu free or
// unlock sees the waiter and leaves a hint. A hint left for a waiter that
// gave up only costs the next waiter a spurious retry.
type gate struct {
	mu      sync.Mutex
	waiters atomic.Int32
	freed   chan struct{} // capacity 1: "mu may be free, try again"
}

func newGate() *gate { return &gate{freed: make(chan struct{}, 1)} }

// lock takes the gate, or reports false once closed is closed.
func (g *gate) lock(closed <-chan struct{}) bool {
	if g.mu.TryLock() {
		return true
	}
	g.waiters.Add(1)
	defer g.waiters.Add(-1)
	for {
		if g.mu.TryLock() {
			return true
		}
		select {
		case <-g.freed:
		case <-closed:
			return false
		}
	}
}

// tryLock takes the gate only if it is free.
func (g *gate) tryLock() bool { return g.mu.TryLock() }

// unlock releases the gate and lets a waiter try again.
func (g *gate) unlock() {
	g.mu.Unlock()
	if g.waiters.Load() > 0 {
		select {
		case g.freed <- struct{}{}:
		default: // a hint is already pending
		}
	}
}
