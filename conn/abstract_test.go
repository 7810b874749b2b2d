package conn_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/listener"
)

// abstractName returns a fresh Linux abstract socket name.
func abstractName() string {
	return fmt.Sprintf("@tgo-test-%d-%d", os.Getpid(), time.Now().UnixNano())
}

// TestAbstractName: a listener on an abstract name ("@…") creates no file,
// checks credentials on both ends as on a path, and a peer process's death
// wakes a blocked Read with ECONNRESET, as on a path.
func TestAbstractName(t *testing.T) {
	name := abstractName()
	p, _ := startPeer(t, "hold", peerSetup{path: name, size: 4 << 10, spin: 20 * time.Microsecond})
	if _, err := os.Lstat(name); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a file %s exists: %v", name, err)
	}
	c := dial(t, name)
	defer c.Close()
	if got, want := c.RemoteAddr().String(), fmt.Sprintf("pid %d uid %d on %s", p.Pid(), os.Getuid(), name); got != want {
		t.Errorf("RemoteAddr %q, want %q", got, want)
	}
	if _, err := conn.Dial(context.Background(), name, conn.WithPeerUIDs(os.Geteuid()+4242)); !errors.Is(err, conn.ErrPeerRefused) {
		t.Errorf("Dial refusing the listener's uid: %v, want ErrPeerRefused", err)
	}
	done, err := blockIn(c, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := within(t, done, 5*time.Second, "read blocked on a killed peer"); !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("read blocked on a killed peer: %v, want ECONNRESET", err)
	}
}

// TestAbstractListenerRefuses: the listening side applies its uid policy
// to a dialer on an abstract name too (there is no file mode to stop it),
// and a name in use is refused.
func TestAbstractListenerRefuses(t *testing.T) {
	l, err := listener.ListenAbstract(listener.WithConnOptions(conn.WithPeerUIDs(os.Geteuid() + 4242)))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if c, err := conn.Dial(ctx, l.Addr().String()); err == nil {
		c.Close()
		t.Fatal("a listener that refuses our uid let us in")
	}
	poll(t, 5*time.Second, "the listener to count one refused client", func() bool { return l.Stats().Refused == 1 })
	if _, err := listener.Listen(l.Addr().String()); !errors.Is(err, listener.ErrAddrInUse) {
		t.Errorf("second Listen on %s: %v, want ErrAddrInUse", l.Addr(), err)
	}
}
