package conn

import (
	"runtime"
	"testing"
	"time"
)

func TestDeadlineFlag(t *testing.T) {
	var d deadline
	defer d.stop()
	if d.expired() {
		t.Fatal("zero deadline expired")
	}
	d.set(time.Now().Add(-time.Second))
	if !d.expired() {
		t.Fatal("past deadline not expired at once")
	}
	d.set(time.Time{})
	if d.expired() {
		t.Fatal("cleared deadline still expired")
	}
	d.set(time.Now().Add(time.Hour))
	d.fire() // a stale or early timer
	if d.expired() {
		t.Fatal("a deadline an hour ahead expired when a timer fired")
	}
	d.set(time.Now().Add(time.Millisecond))
	limit := time.Now().Add(10 * time.Second)
	for !d.expired() {
		if time.Now().After(limit) {
			t.Fatal("a 1 ms deadline did not expire within 10 s")
		}
		runtime.Gosched()
	}
	d.set(time.Now().Add(time.Hour)) // moved later: no longer expired
	if d.expired() {
		t.Fatal("deadline moved ahead still expired")
	}
}
