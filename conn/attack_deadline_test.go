//go:build linux

package conn_test

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/conn"
)

// Read and Write deadlines hold whatever the peer does (issue 14, attacks
// 2 and 3): a blocked call returns os.ErrDeadlineExceeded no sooner than
// its deadline and at most deadlineSlack after it.

// deadlineSlack is how late a deadline may be honoured under attack
// (issue 14: within 100 ms of its time).
const deadlineSlack = 100 * time.Millisecond

// deadlineAhead is how far ahead of the call the deadlines of these tests
// are set.
const deadlineAhead = 200 * time.Millisecond

// deadlineAttacks cover every way the attacker can bend our waits: sleeping
// words forced to 3, 2 or garbage (our waits find their word taken and nap
// on the doorbell with a timeout), to 0 (our sleep advertisement is wiped),
// our doorbells flooded (spurious wake-ups), shut down or closed (our
// waits poll), and its own doorbells full behind blocking descriptions.
var deadlineAttacks = []string{
	"words=3,block,fill",
	"words=2,block,flood",
	"words=0xdeadbeef,block,shut",
	"words=0xdeadbeef,close",
	"words=0,steal",
	"steal,flood",
}

// TestDeadlinesUnderAttack: a Read on an empty ring and a Write on a full
// one, each with a deadline set before the call, and again with one set
// while the call is blocked.
func TestDeadlinesUnderAttack(t *testing.T) {
	for _, mode := range deadlineAttacks {
		t.Run(mode, func(t *testing.T) {
			c := underAttack(t, 1, mode)[0]
			for _, write := range []bool{false, true} {
				late := deadlineBefore(t, c, write)
				lateMoved := deadlineMoved(t, c, write)
				t.Logf("%s: deadline honoured %v late (set before the call), %v late (set while blocked)",
					opName(write), late, lateMoved)
			}
		})
	}
}

// deadlineBefore sets a deadline deadlineAhead away, then calls Read (or a
// Write larger than the ring) and checks how it returns; it reports how late.
func deadlineBefore(t *testing.T, c *conn.Conn, write bool) time.Duration {
	t.Helper()
	dl := time.Now().Add(deadlineAhead)
	setSideDeadline(c, write, dl)
	defer setSideDeadline(c, write, time.Time{})
	done := make(chan error, 1)
	go func() { done <- blockingCall(c, write) }()
	return checkDeadline(t, done, dl, opName(write)+" with a deadline")
}

// deadlineMoved blocks a call with no deadline, then sets one deadlineAhead
// away.
func deadlineMoved(t *testing.T, c *conn.Conn, write bool) time.Duration {
	t.Helper()
	done, err := blockIn(c, write)
	if err != nil {
		t.Fatalf("%s: %v", opName(write), err)
	}
	dl := time.Now().Add(deadlineAhead)
	setSideDeadline(c, write, dl)
	defer setSideDeadline(c, write, time.Time{})
	return checkDeadline(t, done, dl, opName(write)+" given a deadline while blocked")
}

func setSideDeadline(c *conn.Conn, write bool, t time.Time) {
	if write {
		c.SetWriteDeadline(t)
	} else {
		c.SetReadDeadline(t)
	}
}

// blockingCall makes the call blockIn makes: a Read, or a Write larger than any
// ring of these tests.
func blockingCall(c *conn.Conn, write bool) error {
	var err error
	if write {
		_, err = c.Write(make([]byte, blockSize))
	} else {
		_, err = c.Read(make([]byte, 64))
	}
	return err
}

// checkDeadline waits for the call behind done, which must fail with
// os.ErrDeadlineExceeded (as a net.Error with Timeout true) no sooner than
// dl and within deadlineSlack after it; it returns how late it returned.
func checkDeadline(t *testing.T, done <-chan error, dl time.Time, what string) time.Duration {
	t.Helper()
	select {
	case err := <-done:
		late := time.Since(dl)
		if !errors.Is(err, os.ErrDeadlineExceeded) || !isTimeout(err) {
			t.Errorf("%s returned %v, want a timeout wrapping os.ErrDeadlineExceeded", what, err)
		}
		if late < 0 {
			t.Errorf("%s returned %v before its deadline", what, -late)
		}
		if late > deadlineSlack {
			t.Errorf("%s returned %v after its deadline, want at most %v", what, late, deadlineSlack)
		}
		return late
	case <-time.After(time.Until(dl) + deadlineSlack):
		t.Fatalf("%s still blocked %v after its deadline", what, deadlineSlack)
		return 0
	}
}
