package listener

import (
	"fmt"
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// bindPath binds a Unix socket at path (free, as bindSocket checked) with
// file mode 0600 from the first instant: the socket's own mode is set
// before bind, and Linux gives the new file that mode (less the umask). No
// temporary name is ever bound, so every path the kernel accepts works and
// no other name shows in addresses or errors.
func bindPath(path string) (*net.UnixListener, os.FileInfo, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("socket: %w", err)
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close() // FileListener keeps a duplicate
	if err := unix.Fchmod(fd, 0o600); err != nil {
		return nil, nil, fmt.Errorf("fchmod socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		return nil, nil, fmt.Errorf("bind: %w", err)
	}
	fail := func(err error) (*net.UnixListener, os.FileInfo, error) {
		os.Remove(path)
		return nil, nil, err
	}
	if err := unix.Listen(fd, unix.SOMAXCONN); err != nil {
		return fail(fmt.Errorf("listen: %w", err))
	}
	info, err := os.Lstat(path)
	if err != nil {
		return fail(err)
	}
	ln, err := net.FileListener(f)
	if err != nil {
		return fail(err)
	}
	ul := ln.(*net.UnixListener)
	ul.SetUnlinkOnClose(false) // we unlink path ourselves, and only if it is still ours
	return ul, info, nil
}
