package sys

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// globalBarrierOn is cleared only by hand, to check that
// TestGlobalBarrierOrdersLightStores fails without the barrier.
var globalBarrierOn = true

// TestGlobalBarrierOrdersLightStores is the store-buffering litmus test
// that fence-free publishing (shmring/fencefree.go) rests on. One thread
// makes a light store of x and then loads y; the other stores y (a
// sequentially consistent store, as a sleeper's compare-and-swap of its
// word), runs GlobalBarrier and loads x. Both loads may not miss both
// stores. Without the barrier they do, now and then: the light store
// waits in its CPU's store buffer while the load after it goes ahead.
func TestGlobalBarrierOrdersLightStores(t *testing.T) {
	if !LightStoresPlain || !GlobalBarrierAvailable() {
		t.Skip("light stores are atomic here, or membarrier's global command is unavailable")
	}
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("needs two CPUs")
	}
	rounds := 20000
	if testing.Short() {
		rounds = 5000
	}
	deadline := time.Now().Add(litmusTimeout)
	var x, y atomic.Uint64
	var start atomic.Uint64 // the round both threads may begin
	var done atomic.Uint64  // the round the light-store thread finished
	missed := make([]bool, rounds+1)
	light := make(chan struct{})
	go func() {
		defer close(light)
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		for i := uint64(1); i <= uint64(rounds); i++ {
			if !reach(&start, i, deadline) {
				return // the main thread gave up; it reports
			}
			LightStore64(&x, i)
			missed[i] = y.Load() < i
			done.Store(i)
		}
	}()
	defer func() {
		start.Store(^uint64(0)) // a thread still waiting for its round goes on, and ends
		<-light
	}()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	both := 0
	for i := uint64(1); i <= uint64(rounds); i++ {
		start.Store(i)
		y.Store(i)
		if globalBarrierOn && !GlobalBarrier() {
			t.Fatal("GlobalBarrier failed")
		}
		seen := x.Load() >= i
		if !reach(&done, i, deadline) {
			t.Fatalf("round %d: the other thread did not finish within %v", i, litmusTimeout)
		}
		if !seen && missed[i] {
			both++
		}
	}
	if both > 0 {
		t.Fatalf("in %d of %d rounds both loads missed both stores", both, rounds)
	}
}

// litmusTimeout bounds the whole litmus test's waits.
const litmusTimeout = 30 * time.Second

// reach spins until v reaches i, looking at the clock every few million
// polls; false once deadline has passed.
func reach(v *atomic.Uint64, i uint64, deadline time.Time) bool {
	for n := 1; v.Load() < i; n++ {
		if n%(1<<22) == 0 && time.Now().After(deadline) {
			return false
		}
	}
	return true
}
