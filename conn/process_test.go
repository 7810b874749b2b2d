package conn_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/internal/peerproc"
	"github.com/tachyon-ipc/tachyon-go/listener"
	"golang.org/x/net/nettest"
)

// Peer roles run in a re-executed copy of this test binary. Each listens on
// the socket path in args[0] with ring size args[1] and spin budget args[2]
// (and, if args[3] is there, accepts peers of that uid only), then reports
// readiness by writing one byte on the peerproc socket.
func init() {
	peerproc.Register("relay", relayRole)
	peerproc.Register("echo", echoRole)
}

// peerListen is the common start of every role.
func peerListen(args []string) (*listener.Listener, *net.UnixConn, error) {
	size, _ := strconv.Atoi(args[1])
	spin, _ := time.ParseDuration(args[2])
	opts := []conn.Option{conn.WithRingSize(size), conn.WithSpin(spin)}
	if len(args) > 3 {
		uid, err := strconv.Atoi(args[3])
		if err != nil {
			return nil, nil, err
		}
		opts = append(opts, conn.WithPeerUIDs(uid))
	}
	l, err := listener.Listen(args[0], listener.WithConnOptions(opts...))
	if err != nil {
		return nil, nil, err
	}
	ctl, err := peerproc.Announce()
	if err != nil {
		l.Close()
		return nil, nil, err
	}
	return l, ctl, nil
}

// relayRole accepts two connections and copies bytes between them, passing
// a half-close on: the two test-side ends then behave as one connection
// whose middle runs in another process.
func relayRole(args []string) error {
	l, ctl, err := peerListen(args)
	if err != nil {
		return err
	}
	defer ctl.Close()
	defer l.Close()
	var ends [2]*conn.Conn
	for i := range ends {
		if ends[i], err = l.AcceptConn(); err != nil {
			return err
		}
	}
	done := make(chan struct{}, 2)
	pipe := func(dst, src *conn.Conn) {
		io.Copy(dst, src)
		dst.CloseWrite()
		done <- struct{}{}
	}
	go pipe(ends[0], ends[1])
	go pipe(ends[1], ends[0])
	<-done
	<-done
	ends[0].Close()
	ends[1].Close()
	return nil
}

// echoRole accepts connections until its control socket closes and echoes
// each one back.
func echoRole(args []string) error {
	l, ctl, err := peerListen(args)
	if err != nil {
		return err
	}
	defer l.Close()
	go serveEcho(l)
	peerproc.AwaitHangup(ctl)
	return nil
}

// peerSetup describes a peer process serving at a socket path.
type peerSetup struct {
	path string
	size int
	spin time.Duration
}

// startPeer launches role and waits (bounded) until it listens.
func startPeer(t testing.TB, role string, ps peerSetup) (*peerproc.Peer, *net.UnixConn) {
	t.Helper()
	return startRole(t, role, []string{ps.path, strconv.Itoa(ps.size), ps.spin.String()}, nil)
}

// startRole launches role with args (attr may set the peer's credentials)
// and waits, bounded, for the one byte by which every role says it is ready.
// A peer still running when the test ends is killed.
func startRole(t testing.TB, role string, args []string, attr *syscall.SysProcAttr) (*peerproc.Peer, *net.UnixConn) {
	t.Helper()
	p, ctl, err := peerproc.StartReady(role, args, &peerproc.Options{Attr: attr}, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Kill()
		ctl.Close()
	})
	return p, ctl
}

func dial(t testing.TB, path string) *conn.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := conn.Dial(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func sockPath(t testing.TB) string {
	// Unix socket paths are limited to 108 bytes: t.TempDir() can be long.
	dir, err := os.MkdirTemp("", "tgo")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "s")
}

var ringSizes = []int{4 << 10, 1 << 20}

var spinModes = []time.Duration{20 * time.Microsecond, 0}

func TestNettestCrossProcess(t *testing.T) {
	for _, size := range ringSizes {
		for _, spin := range spinModes {
			t.Run(fmt.Sprintf("%dKiB/spin=%v", size>>10, spin), func(t *testing.T) {
				nettestRelay(t, size, spin)
			})
		}
	}
}

func nettestRelay(t *testing.T, size int, spin time.Duration) {
	nettest.TestConn(t, func() (c1, c2 net.Conn, stop func(), err error) {
		a, b, stop := relayPair(t, size, spin)
		return a, b, stop, nil
	})
}

// relayPair returns two connections joined by a relay peer process: what is
// written to one is read from the other. stop closes both and waits for the
// relay to exit.
func relayPair(t testing.TB, size int, spin time.Duration) (a, b *conn.Conn, stop func()) {
	ps := peerSetup{path: sockPath(t), size: size, spin: spin}
	p, ctl := startPeer(t, "relay", ps)
	a = dial(t, ps.path)
	b = dial(t, ps.path)
	stop = func() {
		a.Close()
		b.Close()
		if err := p.Wait(30 * time.Second); err != nil {
			t.Errorf("relay: %v", err)
		}
		ctl.Close()
	}
	return a, b, stop
}
