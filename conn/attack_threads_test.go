//go:build linux

package conn_test

import (
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/conn"
)

// A blocked call holds a goroutine, never an OS thread, whatever the peer
// does (issue 14, attack 3: 20 blocked Reads once took 20 threads and
// never returned).

// threadReads is how many Reads TestNoThreadPerBlockedReadUnderAttack
// blocks at once, one per connection.
const threadReads = 20

// maxExtraThreads bounds the OS threads this process may gain while
// threadReads Reads are blocked. The runtime starts a few threads of its
// own as load changes (GOMAXPROCS, the race runtime, a thread that wakes
// for a system call); one per blocked call would be threadReads.
const maxExtraThreads = threadReads / 4

// threadAttacks make our waits nap (words forced to 2 or 3) while our
// doorbells are flooded, or poll (our doorbells' ringing ends closed), all
// with O_NONBLOCK cleared on every socket the attacker holds.
var threadAttacks = []string{
	"words=2,block,flood",
	"words=3,block,fill,flood",
	"words=0xdeadbeef,block,close",
}

// TestNoThreadPerBlockedReadUnderAttack blocks threadReads Reads, each
// with a deadline 1 s away, counts this process's OS threads until all have
// returned, and checks that each returned at its deadline. A first, shorter
// round under the same attack lets the runtime grow its pool of threads for
// short system calls (the attack makes our waits wake often), which it
// never shrinks: the second round measures what blocked calls hold.
func TestNoThreadPerBlockedReadUnderAttack(t *testing.T) {
	for _, mode := range threadAttacks {
		t.Run(mode, func(t *testing.T) {
			cs := underAttack(t, threadReads, mode)
			warmPeak, _ := blockedReads(t, cs, deadlineAhead)
			before := osThreads(t)
			peak, latest := blockedReads(t, cs, time.Second)
			t.Logf("%d Reads blocked for 1 s: OS threads %d before (at most %d in the warm-up round), at most %d while blocked; the last Read returned %v after the deadline",
				len(cs), before, warmPeak, peak, latest)
			if peak-before > maxExtraThreads {
				t.Errorf("OS threads grew from %d to %d with %d blocked Reads, want at most %d more",
					before, peak, len(cs), maxExtraThreads)
			}
		})
	}
}

// blockedReads starts a Read on each of cs with a deadline ahead from now,
// waits for all of them, checking that each returns at its deadline, and
// samples this process's OS threads meanwhile. It returns the most threads
// seen and how late the last Read returned.
func blockedReads(t *testing.T, cs []*conn.Conn, ahead time.Duration) (peak int, latest time.Duration) {
	t.Helper()
	peak = osThreads(t)
	dl := time.Now().Add(ahead)
	type result struct {
		err error
		at  time.Time
	}
	results := make(chan result, len(cs))
	for _, c := range cs {
		c.SetReadDeadline(dl)
		go func() {
			_, err := c.Read(make([]byte, 64))
			results <- result{err, time.Now()}
		}()
	}
	bound := time.After(time.Until(dl) + deadlineSlack)
	for got := 0; got < len(cs); {
		select {
		case r := <-results:
			got++
			late := r.at.Sub(dl)
			latest = max(latest, late)
			if !isTimeout(r.err) {
				t.Errorf("Read returned %v, want a deadline error", r.err)
			}
			if late < 0 || late > deadlineSlack {
				t.Errorf("Read returned %v after its deadline, want 0 to %v", late, deadlineSlack)
			}
		case <-bound:
			t.Fatalf("%d of %d Reads still blocked %v after their deadline", len(cs)-got, len(cs), deadlineSlack)
		case <-time.After(time.Millisecond):
			// Sampling the thread count, not waiting for anything.
		}
		peak = max(peak, osThreads(t))
	}
	return peak, latest
}
