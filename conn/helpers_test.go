package conn_test

import (
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/listener"
)

// listen starts an in-process listener at path, closed when the test ends.
func listen(t testing.TB, path string, opts ...conn.Option) *listener.Listener {
	t.Helper()
	l, err := listener.Listen(path, listener.WithConnOptions(opts...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// accept waits, bounded, for the listener's next connection.
func accept(t testing.TB, l *listener.Listener) *conn.Conn {
	t.Helper()
	type result struct {
		c   *conn.Conn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		c, err := l.AcceptConn()
		ch <- result{c, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatal(r.err)
		}
		return r.c
	case <-time.After(30 * time.Second):
		l.Close() // ends the Accept above
		t.Fatal("no connection accepted within 30 s")
		return nil
	}
}

// blockSize is what a blocking Write writes: more than any ring of these
// tests holds.
const blockSize = 4 << 20

// errNeverBlocked means blockIn's call completed or failed without waiting.
var errNeverBlocked = errors.New("the call never blocked")

// blockIn starts a Read (or, with write, a Write larger than the ring) on c
// and returns once it is parked waiting for the peer; the channel yields the
// call's error when it returns.
func blockIn(c *conn.Conn, write bool) (<-chan error, error) {
	before := parks(c, write)
	done := make(chan error, 1)
	go func() {
		var err error
		if write {
			_, err = c.Write(make([]byte, blockSize))
		} else {
			_, err = c.Read(make([]byte, 64))
		}
		done <- err
	}()
	var finished bool
	var early error
	blocked := eventually(10*time.Second, func() bool {
		select {
		case early = <-done:
			finished = true
			return true
		default:
		}
		return parks(c, write) > before
	})
	if !blocked || finished {
		return nil, errors.Join(errNeverBlocked, early)
	}
	return done, nil
}

// parks returns how often c's writing or reading side has parked.
func parks(c *conn.Conn, write bool) uint64 {
	tx, rx := c.Stats()
	if write {
		return tx.Parks
	}
	return rx.Parks
}

// within waits at most d for the call behind done to return.
func within(t testing.TB, done <-chan error, d time.Duration, what string) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		t.Fatalf("%s: still blocked after %v", what, d)
		return nil
	}
}

// errEPIPE is the error writing to a closed or dead peer wraps.
var errEPIPE = syscall.EPIPE

// serveEcho accepts connections from l until it is closed and echoes each
// one back until its peer closes it.
func serveEcho(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go func() {
			io.Copy(c, c)
			c.Close()
		}()
	}
}
