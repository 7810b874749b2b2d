//go:build linux

package conn_test

import (
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/conn"
)

// idleConns is how many idle connections TestIdleConnsHoldNoThreads opens.
const idleConns = 1000

// maxIdleThreads bounds the OS threads of this process while idleConns
// connections each have a Read blocked on both ends: one thread per
// blocked call would be 2000.
const maxIdleThreads = 100

// fdsPerConn is what one connection costs in descriptors on both ends
// together: per end a socket, two ring memfds and four doorbells.
const fdsPerConn = 2 * 7

// TestIdleConnsHoldNoThreads opens idleConns connections (listener and
// dialer in this process, 4 KiB rings), blocks a Read on both ends of each,
// and counts the process's threads: blocked calls must park goroutines,
// not threads. Closing every dialing end then wakes every Read.
func TestIdleConnsHoldNoThreads(t *testing.T) {
	ensureFDs(t, idleConns*fdsPerConn+200)
	path := sockPath(t)
	l := listen(t, path, conn.WithRingSize(4<<10))
	type result struct {
		server bool
		err    error
	}
	results := make(chan result, 2*idleConns)
	var clients, servers []*conn.Conn
	defer func() {
		for _, c := range append(clients, servers...) {
			c.Close()
		}
	}()
	read := func(c *conn.Conn, server bool) {
		_, err := c.Read(make([]byte, 16))
		results <- result{server, err}
	}
	for range idleConns {
		c := dial(t, path)
		s := accept(t, l)
		clients, servers = append(clients, c), append(servers, s)
		go read(c, false)
		go read(s, true)
	}
	all := append(append([]*conn.Conn{}, clients...), servers...)
	poll(t, time.Minute, "every Read to park", func() bool {
		for _, c := range all {
			if parks(c, false) == 0 {
				return false
			}
		}
		return true
	})
	threads := osThreads(t)
	t.Logf("%d connections with %d blocked Reads: %d OS threads, %d goroutines",
		idleConns, 2*idleConns, threads, countResources(t).goroutines)
	if threads >= maxIdleThreads {
		t.Errorf("%d OS threads for %d blocked Reads, want fewer than %d", threads, 2*idleConns, maxIdleThreads)
	}

	for _, c := range clients {
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.After(30 * time.Second)
	for range 2 * idleConns {
		select {
		case r := <-results:
			if r.server && r.err != io.EOF {
				t.Fatalf("accepting end's Read after the dialer closed: %v, want io.EOF", r.err)
			}
			if !r.server && !errors.Is(r.err, net.ErrClosed) {
				t.Fatalf("dialing end's Read across its own Close: %v, want net.ErrClosed", r.err)
			}
		case <-deadline:
			t.Fatal("some Reads still blocked 30 s after the connections closed")
		}
	}
}

// ensureFDs raises the soft descriptor limit to n if the hard limit
// allows, and skips the test if it does not.
func ensureFDs(t *testing.T, n uint64) {
	t.Helper()
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		t.Fatal(err)
	}
	if rl.Cur >= n {
		return
	}
	if rl.Max < n {
		t.Skipf("needs %d descriptors, the hard limit is %d", n, rl.Max)
	}
	old := rl
	rl.Cur = n
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		t.Skipf("needs %d descriptors: %v", n, err)
	}
	t.Cleanup(func() { syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old) })
}
