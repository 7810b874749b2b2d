package conn_test

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/internal/peerproc"
)

// A peer that dies without closing (SIGKILL) must wake every call blocked on
// it: Read fails with ECONNRESET, Write with EPIPE. The kernel closing the
// dead process's liveness socket is the only signal.

func init() {
	peerproc.Register("hold", holdRole)
	peerproc.Register("dialhold", dialHoldRole)
	peerproc.Register("victim", victimRole)
}

// holdRole listens (args as for every listening role), accepts connections
// and holds them without reading or writing, until its control socket
// closes or it is killed.
func holdRole(args []string) error {
	l, ctl, err := peerListen(args)
	if err != nil {
		return err
	}
	defer l.Close()
	var mu sync.Mutex
	var held []*conn.Conn // kept reachable until exit
	go func() {
		for {
			c, err := l.AcceptConn()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	awaitSignal(ctl, time.Hour)
	return nil
}

// dialHoldRole dials args[0], reports ready, and holds the connection until
// its control socket closes or it is killed.
func dialHoldRole(args []string) error {
	ctl, err := peerproc.Socket()
	if err != nil {
		return err
	}
	c, err := dialFrom(args[0])
	if err != nil {
		return err
	}
	defer c.Close()
	if err := signal(ctl); err != nil {
		return err
	}
	awaitSignal(ctl, time.Hour)
	return nil
}

// victimRole dials args[0], blocks in a Read (args[1] == "read") or a Write
// on the ring filling up, reports ready once blocked, and reports the
// call's error when it returns.
func victimRole(args []string) error {
	ctl, err := peerproc.Socket()
	if err != nil {
		return err
	}
	c, err := dialFrom(args[0])
	if err != nil {
		return err
	}
	defer c.Close()
	done, err := blockIn(c, args[1] == "write")
	if err != nil {
		return err
	}
	if err := signal(ctl); err != nil {
		return err
	}
	select {
	case err := <-done:
		return sendReport(ctl, errReport(err))
	case <-time.After(time.Minute):
		return errors.New("victim: blocked call never returned")
	}
}

// deathErr is the error a call blocked on a dead peer must return.
func deathErr(write bool) syscall.Errno {
	if write {
		return syscall.EPIPE
	}
	return syscall.ECONNRESET
}

func opName(write bool) string {
	if write {
		return "write"
	}
	return "read"
}

// TestPeerDeathWakesBlockedCall kills the peer process while this process is
// blocked on it, as the dialing and as the accepting side.
func TestPeerDeathWakesBlockedCall(t *testing.T) {
	for _, dialer := range []bool{true, false} {
		for _, write := range []bool{false, true} {
			side := "acceptor"
			if dialer {
				side = "dialer"
			}
			t.Run(side+"/"+opName(write), func(t *testing.T) {
				c, p := connToHeldPeer(t, dialer)
				defer c.Close()
				done, err := blockIn(c, write)
				if err != nil {
					t.Fatal(err)
				}
				killed := time.Now()
				if err := p.Signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				err = within(t, done, 5*time.Second, opName(write)+" blocked on a killed peer")
				latency := time.Since(killed)
				if !errors.Is(err, deathErr(write)) {
					t.Fatalf("%s blocked on a killed peer returned %v, want %v", opName(write), err, deathErr(write))
				}
				var ne net.Error
				if !errors.As(err, &ne) || ne.Timeout() {
					t.Errorf("error %v is not a non-timeout net.Error", err)
				}
				t.Logf("%s woke %v after SIGKILL: %v", opName(write), latency, err)
			})
		}
	}
}

// connToHeldPeer connects this process to a peer process that holds the
// connection without using it: we dial the peer's listener, or the peer
// dials ours.
func connToHeldPeer(t *testing.T, dialer bool) (*conn.Conn, *peerproc.Peer) {
	t.Helper()
	path := sockPath(t)
	if dialer {
		p, _ := startPeer(t, "hold", peerSetup{path: path, size: 4 << 10, spin: 20 * time.Microsecond})
		return dial(t, path), p
	}
	l := listen(t, path, conn.WithRingSize(4<<10))
	p, _ := startRole(t, "dialhold", []string{path}, nil)
	return accept(t, l), p
}

// TestPeerDeathWakesPeer is the other way round: the blocked call runs in a
// peer process (the victim), connected to a second peer that is killed; the
// victim reports what its call returned, and when.
func TestPeerDeathWakesPeer(t *testing.T) {
	for _, write := range []bool{false, true} {
		t.Run(opName(write), func(t *testing.T) {
			path := sockPath(t)
			holder, _ := startPeer(t, "hold", peerSetup{path: path, size: 4 << 10, spin: 20 * time.Microsecond})
			victim, ctl := startRole(t, "victim", []string{path, opName(write)}, nil)
			killed := time.Now()
			if err := holder.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			r := readReport(t, ctl, 10*time.Second)
			latency := time.Duration(r.At - killed.UnixNano())
			if !r.is(deathErr(write)) {
				t.Fatalf("victim's blocked %s returned %q (errno %d), want %v", opName(write), r.Err, r.Errno, deathErr(write))
			}
			if latency > 5*time.Second {
				t.Errorf("victim woke %v after SIGKILL", latency)
			}
			t.Logf("victim's %s woke %v after SIGKILL: %s", opName(write), latency, r.Err)
			if err := victim.Wait(10 * time.Second); err != nil {
				t.Errorf("victim: %v", err)
			}
		})
	}
}

// deadPeerConn returns a connection whose peer process was killed, once a
// blocked Read has reported the death.
func deadPeerConn(t *testing.T) *conn.Conn {
	t.Helper()
	c, p := connToHeldPeer(t, true)
	t.Cleanup(func() { c.Close() })
	done, err := blockIn(c, false)
	if err != nil {
		t.Fatal(err)
	}
	p.Kill()
	if err := within(t, done, 5*time.Second, "read"); !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("read blocked on a killed peer: %v, want ECONNRESET", err)
	}
	return c
}

// TestPeerDeathLaterReads: once the death is known, Read keeps failing.
func TestPeerDeathLaterReads(t *testing.T) {
	c := deadPeerConn(t)
	for i := range 3 {
		if _, err := c.Read(make([]byte, 8)); !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("read %d after the death: %v, want ECONNRESET", i, err)
		}
	}
}

// TestPeerDeathLaterWrites: once the death is known, Write fails with EPIPE
// even while the ring still has room (the bytes could never be read).
func TestPeerDeathLaterWrites(t *testing.T) {
	c := deadPeerConn(t)
	for i := range 3 {
		if n, err := c.Write([]byte(fmt.Sprint("lost ", i))); !errors.Is(err, syscall.EPIPE) {
			t.Errorf("write %d to a dead peer: n=%d err=%v, want EPIPE", i, n, err)
		}
	}
}
