package conn_test

import (
	"os"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/conn"
)

// TestAddrs: both ends' addresses are network "shm" with the socket path;
// each end's RemoteAddr carries the peer process's credentials.
func TestAddrs(t *testing.T) {
	ps := peerSetup{path: sockPath(t), size: 4 << 10, spin: 20 * time.Microsecond}
	p, _ := startPeer(t, "echo", ps)
	c := dial(t, ps.path)
	defer c.Close()
	check := func(what string, a *conn.Addr, pid int) {
		t.Helper()
		if a.Network() != "shm" || a.String() != ps.path {
			t.Errorf("%s = %s %q, want shm %q", what, a.Network(), a.String(), ps.path)
		}
		if a.PID != pid || pid != 0 && (a.UID != os.Getuid() || a.GID != os.Getgid()) {
			t.Errorf("%s = %+v, want pid %d uid %d gid %d", what, a, pid, os.Getuid(), os.Getgid())
		}
	}
	check("dialer's LocalAddr", c.LocalAddr().(*conn.Addr), 0)
	check("dialer's RemoteAddr", c.RemoteAddr().(*conn.Addr), p.Pid())

	l := listen(t, sockPath(t))
	d := dial(t, l.Addr().String())
	defer d.Close()
	s := accept(t, l)
	defer s.Close()
	if l.Addr().Network() != "shm" {
		t.Errorf("listener network %q, want shm", l.Addr().Network())
	}
	ps.path = l.Addr().String()
	check("acceptor's LocalAddr", s.LocalAddr().(*conn.Addr), 0)
	check("acceptor's RemoteAddr", s.RemoteAddr().(*conn.Addr), os.Getpid())
}
