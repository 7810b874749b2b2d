//go:build linux

package conn_test

import (
	"errors"
	"net"
	"testing"
	"time"
)

// Close returns promptly whatever the peer does, and wakes our blocked calls
// (issue 14, attacks 1 and 4). The peer is the attacker (attacker_test.go);
// it stays alive and keeps its session socket open throughout, so nothing
// but our own Close can wake us.

// closeBound is how soon Close must return, and wake the calls blocked on
// the connection, whatever the peer does (issue 14).
const closeBound = time.Second

// closeAttacks abuse a session in which our Read and Write are both blocked.
// Every one forces the sleeping words to 3 (a doorbell sleeper's value:
// we ring its doorbells, which it never reads, and our own waits find
// their word taken and nap), clears O_NONBLOCK on every socket it holds
// and fills its doorbells through the descriptions our ringers share; then
// it floods, shuts down or closes the ringing ends of our doorbells.
var closeAttacks = []string{
	"words=3,block,fill",
	"words=3,block,fill,flood",
	"words=3,block,fill,shut",
	"words=3,block,fill,close",
}

// TestCloseUnderAttack: with a Read and a Write blocked, Close returns
// within closeBound and both calls return net.ErrClosed within it.
func TestCloseUnderAttack(t *testing.T) {
	for _, mode := range closeAttacks {
		t.Run(mode, func(t *testing.T) {
			c := underAttack(t, 1, mode)[0]
			rd, err := blockIn(c, false)
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			wr, err := blockIn(c, true)
			if err != nil {
				t.Fatalf("write: %v", err)
			}
			// Our writer rang the attacker's doorbell (its word read 3)
			// whose queue is full and whose description blocks: the ring
			// must not have blocked.
			if tx, _ := c.Stats(); tx.Wakes == 0 {
				t.Errorf("our writer never rang the attacker's doorbell: the attack did not bite")
			}
			start := time.Now()
			closed := make(chan error, 1)
			go func() { closed <- c.Close() }()
			bound := time.After(closeBound)
			var took [3]time.Duration // Close, Read, Write
			for i, ch := range []<-chan error{closed, rd, wr} {
				what := [...]string{"Close", "blocked Read", "blocked Write"}[i]
				select {
				case err := <-ch:
					took[i] = time.Since(start)
					if i == 0 && err != nil {
						t.Errorf("Close: %v", err)
					}
					if i > 0 && !errors.Is(err, net.ErrClosed) {
						t.Errorf("%s across Close returned %v, want net.ErrClosed", what, err)
					}
				case <-bound:
					t.Fatalf("%s still blocked %v after Close began", what, closeBound)
				}
			}
			t.Logf("Close returned after %v; the blocked Read woke after %v, the Write after %v",
				took[0], took[1], took[2])
		})
	}
}

// wakeTrials is how many connections TestCloseWakesBlockedReadUnderAttack
// closes under each attack.
const wakeTrials = 10

// wakeAttacks leave our sleeping words alone, so a blocked Read really parks
// on its doorbell (word 3), and try to take its wake-up away: by reading
// every socket the attacker holds, by clearing our sleeping words (so a
// sleeper looks awake and is never rung), or by flooding our doorbells.
var wakeAttacks = []string{
	"steal,block",
	"steal,block,words=0",
	"steal,flood",
}

// TestCloseWakesBlockedReadUnderAttack: a Read blocked during Close returns
// net.ErrClosed within closeBound, every time; the attacker cannot absorb
// the wake-up Close gives it.
func TestCloseWakesBlockedReadUnderAttack(t *testing.T) {
	for _, mode := range wakeAttacks {
		t.Run(mode, func(t *testing.T) {
			var worst time.Duration
			for i, c := range underAttack(t, wakeTrials, mode) {
				rd, err := blockIn(c, false)
				if err != nil {
					t.Fatalf("trial %d: read: %v", i, err)
				}
				start := time.Now()
				closed := make(chan error, 1)
				go func() { closed <- c.Close() }()
				bound := time.After(closeBound)
				for _, ch := range []<-chan error{closed, rd} {
					select {
					case err := <-ch:
						if ch == rd && !errors.Is(err, net.ErrClosed) {
							t.Errorf("trial %d: Read across Close returned %v, want net.ErrClosed", i, err)
						}
					case <-bound:
						t.Fatalf("trial %d: Close or the blocked Read still blocked %v after Close began", i, closeBound)
					}
				}
				worst = max(worst, time.Since(start))
			}
			t.Logf("%d trials: every blocked Read woke, the slowest %v after Close began", wakeTrials, worst)
		})
	}
}
