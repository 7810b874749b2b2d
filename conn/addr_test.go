package conn_test

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/conn"
)

// TestAddrs: both ends' addresses are network "shm" with the socket path;
// each end's RemoteAddr carries the peer process's credentials and says so
// in its String.
func TestAddrs(t *testing.T) {
	ps := peerSetup{path: sockPath(t), size: 4 << 10, spin: 20 * time.Microsecond}
	p, _ := startPeer(t, "echo", ps)
	c := dial(t, ps.path)
	defer c.Close()
	check := func(what string, a *conn.Addr, pid int) {
		t.Helper()
		want := ps.path
		if pid != 0 {
			want = fmt.Sprintf("pid %d uid %d on %s", pid, os.Getuid(), ps.path)
		}
		if a.Network() != "shm" || a.Path != ps.path || a.String() != want {
			t.Errorf("%s = %s %q (path %q), want shm %q", what, a.Network(), a.String(), a.Path, want)
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

// TestRemoteAddrInErrors: a connection's errors name both ends, the peer by
// its pid: "write shm /p->pid 1234 uid 1000 on /p: broken pipe".
func TestRemoteAddrInErrors(t *testing.T) {
	l := listen(t, sockPath(t))
	c := dial(t, l.Addr().String())
	s := accept(t, l)
	defer s.Close()
	c.Close()
	_, err := s.Write([]byte("x"))
	var op *net.OpError
	if !errors.Is(err, syscall.EPIPE) || !errors.As(err, &op) {
		t.Fatalf("write to a closed peer: %v, want a *net.OpError with EPIPE", err)
	}
	want := fmt.Sprintf("write shm %s->pid %d uid %d on %s: ", l.Addr(), os.Getpid(), os.Getuid(), l.Addr())
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q, want it to start %q", err, want)
	}
}
