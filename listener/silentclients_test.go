package listener_test

import (
	"encoding/binary"
	"errors"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/internal/peerproc"
)

// The silent clients are a peer process (this test binary, re-executed)
// that opens many connections to a listener and never sends a valid
// session hello: the slowloris and the "memory before trust" attacks of
// issue 14.

func init() {
	peerproc.Register("silentclients", silentClientsRole)
}

// Kinds of client silentClientsRole opens, in turn, when asked for a mix;
// every one of them fails its handshake.
const (
	kindSilent     = iota // sends nothing: the listener times it out (NoHello)
	kindHTTP              // an HTTP request: refused at its first four bytes (Failed)
	kindOldVersion        // a hello of session version 1: refused (Failed)
	kindHalfHello         // 20 bytes of a valid hello, then nothing (NoHello)
	numKinds
)

// badHello returns what a client of kind sends first.
func badHello(kind int) []byte {
	hello := func(version uint32) []byte {
		b := make([]byte, 32)
		copy(b, "TGOH")
		binary.NativeEndian.PutUint32(b[4:], version)
		binary.NativeEndian.PutUint32(b[8:], 1) // features: own doorbells
		return b
	}
	switch kind {
	case kindHTTP:
		return []byte("GET / HTTP/1.1\r\nHost: shm\r\n\r\n")
	case kindOldVersion:
		return hello(1)
	case kindHalfHello:
		return hello(2)[:20]
	}
	return nil
}

// silentClientsRole opens args[1] connections to the listener at args[0].
// With args[2] == "mixed" they cycle through the kinds above, otherwise
// all are silent. It reports ready once every one is connected, then holds
// them; with args[3] == "reopen", a connection the listener drops is
// opened again at once, so that the count stays up. It exits when its
// control socket closes.
func silentClientsRole(args []string) error {
	path := args[0]
	n, err := strconv.Atoi(args[1])
	if err != nil {
		return err
	}
	mixed, reopen := args[2] == "mixed", args[3] == "reopen"
	open := func(i int) (*net.UnixConn, error) {
		c, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: path, Net: "unix"})
		if err != nil {
			return nil, err
		}
		if b := badHello(i % numKinds); mixed && b != nil {
			if _, err := c.Write(b); err != nil {
				c.Close()
				return nil, err
			}
		}
		return c, nil
	}
	conns := make([]*net.UnixConn, n)
	for i := range conns {
		if conns[i], err = open(i); err != nil {
			return err
		}
	}
	ctl, err := peerproc.Announce()
	if err != nil {
		return err
	}
	stop := make(chan struct{})
	if reopen {
		for i, c := range conns {
			go keepOpen(c, func() (*net.UnixConn, error) { return open(i) }, stop)
		}
	}
	peerproc.AwaitHangup(ctl)
	close(stop)
	for _, c := range conns {
		c.Close()
	}
	return nil
}

// keepOpen waits for the listener to drop c, then opens a new connection
// in its place, until stop is closed.
func keepOpen(c *net.UnixConn, open func() (*net.UnixConn, error), stop <-chan struct{}) {
	var b [64]byte
	for {
		for {
			if _, err := c.Read(b[:]); err != nil {
				break
			}
		}
		c.Close()
		for {
			select {
			case <-stop:
				return
			default:
			}
			var err error
			if c, err = open(); err == nil {
				break
			}
			// The backlog is full or the listener is gone: try again a
			// little later (pacing, not synchronisation).
			if !errors.Is(err, net.ErrClosed) {
				time.Sleep(time.Millisecond)
			}
		}
	}
}

// startSilentClients runs silentClientsRole against path and waits,
// bounded, until all n clients are connected. The clients are killed when
// the test ends.
func startSilentClients(t *testing.T, path string, n int, mixed, reopen bool) *peerproc.Peer {
	t.Helper()
	kind, keep := "silent", "hold"
	if mixed {
		kind = "mixed"
	}
	if reopen {
		keep = "reopen"
	}
	p, ctl, err := peerproc.StartReady("silentclients", []string{path, strconv.Itoa(n), kind, keep}, nil, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Kill()
		ctl.Close()
	})
	return p
}
