package conn

import (
	"sync"
	"testing"
	"time"
)

// TestGateExcludes: goroutines hammering one gate never overlap and never
// get stuck.
func TestGateExcludes(t *testing.T) {
	g, never := newGate(), make(chan struct{})
	const workers, rounds = 8, 2000
	var inside, total int
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				if !g.lock(never) {
					t.Error("lock failed without a close")
					return
				}
				inside++
				if inside != 1 {
					t.Errorf("%d holders at once", inside)
				}
				total++
				inside--
				g.unlock()
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("gate waiters stuck")
	}
	if total != workers*rounds {
		t.Fatalf("%d increments, want %d", total, workers*rounds)
	}
}

// TestGateWaitersGiveUpOnClose: waiters queued behind a holder that never
// lets go return false once closed is closed, and the gate still works for
// the holder afterwards.
func TestGateWaitersGiveUpOnClose(t *testing.T) {
	g, closed := newGate(), make(chan struct{})
	if !g.lock(closed) {
		t.Fatal("free gate refused")
	}
	got := make(chan bool, 4)
	for range cap(got) {
		go func() { got <- g.lock(closed) }()
	}
	if g.tryLock() {
		t.Fatal("tryLock took a held gate")
	}
	close(closed)
	for range cap(got) {
		select {
		case ok := <-got:
			if ok {
				t.Fatal("a waiter took a held gate")
			}
		case <-time.After(30 * time.Second):
			t.Fatal("a waiter did not give up on close")
		}
	}
	g.unlock()
	if !g.tryLock() {
		t.Fatal("gate not free after the holder let go")
	}
	g.unlock()
}
