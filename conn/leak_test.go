package conn_test

import (
	"io"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/conn"
)

// Connections must give back everything they take: after many dial, use,
// close cycles the process holds as many descriptors, ring mappings and
// goroutines as before.

// leakCycles is how many connections each leak test makes; a cycle costs
// about a millisecond, so -short keeps them all.
const leakCycles = 1000

// TestNoLeakInProcess dials and accepts in this process, so both ends'
// resources are counted; the end that closes first alternates.
func TestNoLeakInProcess(t *testing.T) {
	path := sockPath(t)
	l := listen(t, path, conn.WithRingSize(4<<10))
	cycle := func(i int) {
		c := dial(t, path)
		s := accept(t, l)
		exchange(t, c, s)
		exchange(t, s, c)
		first, second := c, s
		if i%2 == 1 {
			first, second = s, c
		}
		if err := first.Close(); err != nil {
			t.Fatal(err)
		}
		if n, err := second.Read(make([]byte, 1)); n != 0 || err != io.EOF {
			t.Fatalf("Read after the peer closed = %d, %v; want 0, io.EOF", n, err)
		}
		if err := second.Close(); err != nil {
			t.Fatal(err)
		}
	}
	checkNoLeak(t, cycle)
}

// TestNoLeakCrossProcess dials an echo peer process over and over.
func TestNoLeakCrossProcess(t *testing.T) {
	ps := peerSetup{path: sockPath(t), size: 4 << 10, spin: 20 * time.Microsecond}
	startPeer(t, "echo", ps)
	msg := []byte("ping")
	cycle := func(int) {
		c := dial(t, ps.path)
		c.SetDeadline(time.Now().Add(30 * time.Second))
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c, make([]byte, len(msg))); err != nil {
			t.Fatal(err)
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	checkNoLeak(t, cycle)
}

// checkNoLeak runs cycle once to warm up (the first connection starts
// runtime helpers that stay), takes the baseline, runs leakCycles more and
// waits for the counts to return to the baseline.
func checkNoLeak(t *testing.T, cycle func(i int)) {
	cycle(0)
	base := countResources(t)
	if base.maps != 0 {
		t.Fatalf("%d ring mappings remain after the warm-up connection closed", base.maps)
	}
	n := leakCycles
	for i := 1; i <= n; i++ {
		cycle(i)
	}
	now := settle(t, base)
	t.Logf("after %d connections: %v (baseline %v)", n, now, base)
}

// exchange writes one byte on w and reads it on r.
func exchange(t *testing.T, w, r *conn.Conn) {
	t.Helper()
	r.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := w.Write([]byte{42}); err != nil {
		t.Fatal(err)
	}
	var b [1]byte
	if _, err := io.ReadFull(r, b[:]); err != nil || b[0] != 42 {
		t.Fatalf("exchange: %v %v", b, err)
	}
}
