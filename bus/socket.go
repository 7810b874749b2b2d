package bus

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/tachyon-ipc/tachyon-go/internal/handshake"
	"github.com/tachyon-ipc/tachyon-go/internal/sys"
)

// Peer identifies the process at the other end of the socket, as the kernel
// recorded it (SO_PEERCRED) when the connection was made. The fields are
// ints, as in conn.Addr and os.Getpid/os.Geteuid.
type Peer struct {
	PID, UID, GID int
}

// longAgo is a deadline in the past, used to interrupt blocked socket calls.
var longAgo = time.Unix(1, 0)

// listenOne does Tachyon's listener socket dance, with a context: clear a
// stale socket at path, bind, listen, accept exactly one peer, check its
// credentials, send h with fds in one SCM_RIGHTS message, then close both
// sockets and unlink path.
func listenOne(ctx context.Context, path string, cfg *config, h handshake.Hello, fds ...int) (Peer, error) {
	if err := clearStalePath(path); err != nil {
		return Peer{}, err
	}
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return Peer{}, fmt.Errorf("bus: listen %s: %w", path, err)
	}
	defer l.Close() // unlinks path
	if err := os.Chmod(path, 0o600); err != nil {
		return Peer{}, fmt.Errorf("bus: listen %s: %w", path, err)
	}
	stop := context.AfterFunc(ctx, func() { l.SetDeadline(longAgo) })
	defer stop()
	c, err := l.AcceptUnix()
	if err != nil {
		if ctx.Err() != nil {
			err = context.Cause(ctx)
		}
		return Peer{}, fmt.Errorf("bus: listen %s: %w", path, err)
	}
	defer c.Close()
	peer, err := cfg.checkPeer(c)
	if err != nil {
		return Peer{}, fmt.Errorf("bus: listen %s: %w", path, err)
	}
	stopW := context.AfterFunc(ctx, func() { c.SetWriteDeadline(longAgo) })
	defer stopW()
	if err := handshake.Send(c, h, fds...); err != nil {
		return Peer{}, fmt.Errorf("bus: listen %s: send handshake: %w", path, err)
	}
	return peer, nil
}

// dialOne connects to path, waiting while nothing listens there yet, checks
// the listener's credentials and receives one handshake, which must offer
// the kind of bus asked for (ErrWrongKind). Its memfds are the caller's to
// close.
func dialOne(ctx context.Context, path string, cfg *config, twoRing bool) (Peer, handshake.Hello, []int, error) {
	c, err := connect(ctx, path)
	if err != nil {
		return Peer{}, handshake.Hello{}, nil, fmt.Errorf("bus: dial %s: %w", path, err)
	}
	defer c.Close()
	peer, err := cfg.checkPeer(c)
	if err != nil {
		return Peer{}, handshake.Hello{}, nil, fmt.Errorf("bus: dial %s: %w", path, err)
	}
	if d, ok := ctx.Deadline(); ok {
		c.SetReadDeadline(d)
	}
	stop := context.AfterFunc(ctx, func() { c.SetReadDeadline(longAgo) })
	defer stop()
	h, fds, err := handshake.Receive(c)
	if err != nil {
		if ctx.Err() != nil {
			err = context.Cause(ctx)
		}
		return Peer{}, handshake.Hello{}, nil, fmt.Errorf("bus: dial %s: %w", path, err)
	}
	if h.TwoRing != twoRing {
		sys.CloseAll(fds)
		kind, use := "a plain bus", "Dial"
		if h.TwoRing {
			kind, use = "an RPC bus", "DialRPC"
		}
		return Peer{}, handshake.Hello{}, nil, fmt.Errorf("%w: %s is %s (use %s)", ErrWrongKind, path, kind, use)
	}
	return peer, h, fds, nil
}

// connect dials path, retrying with a growing pause while nothing listens
// there yet (no socket file, or a socket nobody accepts on), until ctx is
// done. Tachyon's connector fails at once instead, which is why its
// documentation asks to start the listener first.
func connect(ctx context.Context, path string) (*net.UnixConn, error) {
	var d net.Dialer
	pause := time.Millisecond
	for {
		c, err := d.DialContext(ctx, "unix", path)
		if err == nil {
			return c.(*net.UnixConn), nil
		}
		if !errors.Is(err, syscall.ENOENT) && !errors.Is(err, syscall.ECONNREFUSED) {
			return nil, err
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("%w (last attempt: %v)", context.Cause(ctx), err)
		case <-t.C:
		}
		pause = min(2*pause, 50*time.Millisecond)
	}
}

// checkPeer reads the peer's credentials and applies the uid policy.
func (cfg *config) checkPeer(c *net.UnixConn) (Peer, error) {
	pid, uid, gid, err := sys.PeerCred(c)
	if err != nil {
		return Peer{}, err
	}
	p := Peer{PID: int(pid), UID: int(uid), GID: int(gid)}
	if err := cfg.peers.Check(p.PID, p.UID); err != nil {
		return p, fmt.Errorf("bus: %w", err)
	}
	return p, nil
}

// clearStalePath removes a socket left at path by a listener that is gone,
// as Tachyon does; unlike Tachyon it refuses to remove anything else, or a
// socket on which a process still listens.
func clearStalePath(path string) error {
	st, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("bus: listen %s: %w", path, err)
	}
	if st.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("%w: %s is not a socket (%v); refusing to remove it", ErrPathInUse, path, st.Mode().Type())
	}
	if listening(path) {
		return fmt.Errorf("%w: a process is listening on %s", ErrPathInUse, path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("bus: remove stale socket %s: %w", path, err)
	}
	return nil
}

// listening reports whether /proc/net/unix shows a listening socket bound
// to path. Connecting to find out would consume a Tachyon listener's only
// accept. Paths bound relative to another directory are not recognised.
func listening(path string) bool {
	abs, _ := filepath.Abs(path)
	f, err := os.Open("/proc/net/unix")
	if err != nil {
		return false
	}
	defer f.Close()
	const acceptCon = 0x10000 // __SO_ACCEPTCON in the Flags column
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// Num RefCount Protocol Flags Type St Inode Path
		fields := strings.Fields(sc.Text())
		if len(fields) < 8 || (fields[7] != path && fields[7] != abs) {
			continue
		}
		var flags uint64
		if _, err := fmt.Sscanf(fields[3], "%x", &flags); err == nil && flags&acceptCon != 0 {
			return true
		}
	}
	return false
}
