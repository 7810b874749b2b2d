package listener_test

import (
	"bufio"
	"io"
	"net"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/listener"
)

// dialPlain connects a plain Unix-socket client to path.
func dialPlain(t *testing.T, path string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("unix", path, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return c
}

// TestPlainClientServed: a client that speaks first and is not a tachyon-go
// dialer is accepted as the *net.UnixConn it is, with every byte it sent
// still unread, beside a shared-memory client on the same path.
func TestPlainClientServed(t *testing.T) {
	path := socketPath(t)
	l := listen(t, path)
	pc := dialPlain(t, path)
	if _, err := io.WriteString(pc, "PING\n"); err != nil {
		t.Fatal(err)
	}
	r := awaitAccept(t, acceptAsync(l))
	if r.err != nil {
		t.Fatal(r.err)
	}
	defer r.c.Close()
	if _, ok := r.c.(*net.UnixConn); !ok || conn.IsSharedMemory(r.c) || r.c.RemoteAddr().Network() != "unix" {
		t.Fatalf("plain client accepted as %T (network %q), want a *net.UnixConn on \"unix\"", r.c, r.c.RemoteAddr().Network())
	}
	r.c.SetDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(r.c).ReadString('\n')
	if err != nil || line != "PING\n" {
		t.Fatalf("server read %q, %v; want the client's first bytes intact", line, err)
	}

	ch := acceptAsync(l)
	sc := dial(t, path)
	defer sc.Close()
	s := awaitAccept(t, ch)
	if s.err != nil {
		t.Fatal(s.err)
	}
	defer s.c.Close()
	if !conn.IsSharedMemory(s.c) || s.c.RemoteAddr().Network() != conn.Network {
		t.Errorf("tachyon-go client accepted as %T (network %q), want a *conn.Conn", s.c, s.c.RemoteAddr().Network())
	}
	if st := l.Stats(); st.Plain != 1 || st.Handshaken != 1 {
		t.Errorf("Stats %+v; want 1 plain, 1 handshaken", st)
	}
}

// TestServerFirstClient: a client that waits for the server to speak is
// served plainly once the server-first delay has passed.
func TestServerFirstClient(t *testing.T) {
	path := socketPath(t)
	l := listen(t, path, listener.WithServerFirstDelay(20*time.Millisecond))
	pc := dialPlain(t, path)
	r := awaitAccept(t, acceptAsync(l))
	if r.err != nil {
		t.Fatal(r.err)
	}
	defer r.c.Close()
	if _, err := io.WriteString(r.c, "220 hello\n"); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(pc).ReadString('\n')
	if err != nil || line != "220 hello\n" {
		t.Fatalf("client read %q, %v", line, err)
	}
}

// TestPlainClientsOff: with WithPlainClients(false) a plain client is
// dropped, never returned from Accept, and counted as a failed handshake.
func TestPlainClientsOff(t *testing.T) {
	path := socketPath(t)
	l := listen(t, path, listener.WithPlainClients(false))
	pc := dialPlain(t, path)
	io.WriteString(pc, "GET / HTTP/1.0\r\n\r\n")
	// The listener answers with a refusal, then closes (a reset: our
	// request is unread).
	if _, err := io.ReadAll(pc); isTimeout(err) {
		t.Fatalf("reading until the listener closed: %v", err)
	}
	if st := awaitStats(t, l, func(s listener.Stats) bool { return s.Failed > 0 }); st.Plain != 0 || st.Failed != 1 {
		t.Errorf("Stats %+v; want no plain client and 1 failed", st)
	}
}

// TestSilentClientsNotServed: WithServerFirstDelay(0) drops a client that
// never speaks, as a shared-memory-only listener would.
func TestSilentClientsNotServed(t *testing.T) {
	if testing.Short() {
		t.Skip("waits DefaultServerFirstDelay")
	}
	path := socketPath(t)
	l := listen(t, path, listener.WithServerFirstDelay(0))
	pc := dialPlain(t, path)
	if _, err := io.ReadAll(pc); err != nil {
		t.Fatalf("reading until the listener closed: %v", err)
	}
	if st := awaitStats(t, l, func(s listener.Stats) bool { return s.NoHello > 0 }); st.Plain != 0 || st.NoHello != 1 {
		t.Errorf("Stats %+v; want no plain client and 1 without a hello", st)
	}
}

// awaitStats samples l.Stats until done accepts them (the listener counts a
// client just after it closes it), for at most 10 s.
func awaitStats(t *testing.T, l *listener.Listener, done func(listener.Stats) bool) listener.Stats {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := l.Stats()
		if done(st) || time.Now().After(deadline) {
			return st
		}
		time.Sleep(time.Millisecond) // sampling, not synchronisation
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}
