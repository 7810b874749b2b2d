package listener_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/listener"
)

// A flood of clients that never send a hello cannot keep a good client out
// (issue 14, attack 6: 1 000 stallers once locked every good client out).

const (
	// slowlorisClients is how many stalling connections the attacker keeps
	// open, re-opening each one the listener drops.
	slowlorisClients = 1000
	// slowlorisDials is how many good dials are timed under the flood.
	slowlorisDials = 25
	// slowlorisEvery spaces the good dials so that they span more than one
	// hello timeout (conn.DefaultHelloTimeout), when the stallers are
	// dropped and come back.
	slowlorisEvery = 100 * time.Millisecond
	// slowlorisBound is how soon a good client must be connected (issue 14).
	slowlorisBound = time.Second
)

// TestSlowlorisGoodClientDials: with slowlorisClients stalling connections
// from another process, each of slowlorisDials good conn.Dial calls
// succeeds within slowlorisBound.
func TestSlowlorisGoodClientDials(t *testing.T) {
	path := socketPath(t)
	l := listen(t, path, listener.WithPlainClients(false)) // the shared-memory-only listener
	go func() {                                            // the good clients' server: takes each connection and closes it
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	startSilentClients(t, path, slowlorisClients, false, true)
	// Every staller taken off the socket: the flood is in place.
	deadline := time.Now().Add(30 * time.Second)
	for l.Stats().Accepted < slowlorisClients {
		if time.Now().After(deadline) {
			t.Fatalf("after 30 s the listener took only %d of %d stallers", l.Stats().Accepted, slowlorisClients)
		}
		time.Sleep(time.Millisecond) // sampling, not synchronisation
	}
	before := l.Stats()

	var lat []time.Duration
	tick := time.NewTicker(slowlorisEvery)
	defer tick.Stop()
	for i := range slowlorisDials {
		<-tick.C
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		start := time.Now()
		c, err := conn.Dial(ctx, path)
		d := time.Since(start)
		cancel()
		if err != nil {
			t.Fatalf("good dial %d under the flood failed after %v: %v", i, d, err)
		}
		c.Close()
		lat = append(lat, d)
	}
	after := l.Stats()
	slices.Sort(lat)
	pct := func(p int) time.Duration { return lat[(len(lat)-1)*p/100] }
	t.Logf("%d good dials under %d stalling connections: min %v, p50 %v, p90 %v, p99 %v, max %v",
		len(lat), slowlorisClients, lat[0], pct(50), pct(90), pct(99), lat[len(lat)-1])
	t.Logf("listener during the dials: +%d accepted, +%d handshaken, +%d without a hello, +%d evicted, +%d failed",
		after.Accepted-before.Accepted, after.Handshaken-before.Handshaken, after.NoHello-before.NoHello,
		after.Evicted-before.Evicted, after.Failed-before.Failed)
	for i, d := range lat {
		if d > slowlorisBound {
			t.Errorf("good dial %d took %v under the flood, want at most %v (sorted: %v)", i, d, slowlorisBound, lat)
			break
		}
	}
	if after.NoHello == before.NoHello {
		t.Errorf("no staller was dropped for want of a hello during the dials: the flood was not live")
	}
}
