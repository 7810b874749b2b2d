package listener

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
)

// Abstract socket names (Linux): a path that starts with "@", such as
// "@svc", names a socket in the abstract namespace instead of a file.
// Listen and conn.Dial take it like any path; nothing is created on disk, so
// nothing needs removing, no directory is needed, and a test never picks a
// temporary path. The name disappears with its last descriptor.
//
// An abstract socket has no file permissions: any process on the machine
// (in the same network namespace) can connect to it. The peer-credential
// check (SO_PEERCRED, by default the same effective uid; see
// conn.WithPeerUIDs) is then the only gate, and it still runs on both ends
// before anything is mapped; do not combine an abstract name with
// conn.WithAnyPeer unless every local user may connect. Credentials,
// liveness (the socket's end is the peer's death), deadlines and Close
// behave exactly as on a path.

// IsAbstract reports whether path names a Linux abstract socket ("@name").
func IsAbstract(path string) bool { return strings.HasPrefix(path, "@") }

// bindAbstract binds an abstract socket name. A name in use is refused with
// ErrAddrInUse: an abstract name cannot be stale, as the kernel frees it
// with its last descriptor.
func bindAbstract(path string) (*net.UnixListener, os.FileInfo, error) {
	if len(path) < 2 {
		return nil, nil, errors.New("listener: an abstract socket name needs a name after @")
	}
	ul, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, nil, fmt.Errorf("%w: %s", ErrAddrInUse, path)
	}
	if err != nil {
		return nil, nil, err
	}
	return ul, nil, nil
}

// ListenAbstract listens on a fresh abstract socket name of its own
// ("@tachyon-go-<pid>-<random>"): a listener and, through
// conn.Dial(ctx, l.Addr().String()), a dialer that need no socket path, for
// tests. Everything else is Listen's.
func ListenAbstract(opts ...Option) (*Listener, error) {
	var b [8]byte
	rand.Read(b[:])
	return Listen(fmt.Sprintf("@tachyon-go-%d-%x", os.Getpid(), b), opts...)
}
