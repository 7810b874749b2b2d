//go:build linux

package shmring

import (
	"os"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// floodWindow is how long TestFloodedDoorbellPolls keeps a consumer waiting
// under a flood of rings.
const floodWindow = 200 * time.Millisecond

// TestFloodedDoorbellPolls: a peer that rings a consumer's doorbell without
// ever publishing must not turn the consumer's wait into a busy loop; the
// wait falls back to polling (bellWait), so it wakes about once per
// DeadBellPoll, where reading the doorbell every time would wake it once per
// ring. The bound allows twice that, plus the floodRings wake-ups each
// probe of the doorbell costs.
func TestFloodedDoorbellPolls(t *testing.T) {
	data, ringer, err := NewDoorbellPair()
	if err != nil {
		t.Fatal(err)
	}
	defer data.Close()
	defer ringer.Close()
	space, spaceRinger, err := NewDoorbellPair()
	if err != nil {
		t.Fatal(err)
	}
	defer space.Close()
	defer spaceRinger.Close()
	r := testRing(t, 4<<10)
	c, err := r.Consumer(WithDoorbells(data, spaceRinger), WithSpin(0))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the flooding peer: keeps the doorbell's queue full
		defer wg.Done()
		var junk [4096]byte
		for {
			select {
			case <-stop:
				return
			default:
			}
			for {
				if _, err := unix.SendmsgN(ringer.fd, junk[:], nil, nil, unix.MSG_DONTWAIT|unix.MSG_NOSIGNAL); err != nil {
					break
				}
			}
			// Paces the flood, leaving this process idle between
			// rounds as a flooding process would: no synchronisation.
			time.Sleep(20 * time.Microsecond)
		}
	}()
	defer wg.Wait()
	defer close(stop)

	c.SetDeadline(time.Now().Add(floodWindow))
	wakes := 0
	for {
		err := c.Wait()
		if err == os.ErrDeadlineExceeded {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		wakes++
	}
	probes := int(floodWindow/(floodPolls*DeadBellPoll)) + 1
	bound := 2*int(floodWindow/DeadBellPoll) + probes*floodRings
	t.Logf("%d wake-ups in %v of a flooded doorbell (bound %d)", wakes, floodWindow, bound)
	if wakes > bound {
		t.Errorf("a flooded doorbell woke the wait %d times in %v, want at most %d: it busy-loops", wakes, floodWindow, bound)
	}
}
