//go:build !linux

package listener

import (
	"fmt"
	"net"
	"os"
)

// bindPath binds a Unix socket at path (free, as bindSocket checked) and
// gives it file mode 0600. Only Linux lets a socket's mode be set before
// bind; here the path has the umask's mode until the chmod, a moment after
// bind (the peer-credential check still gates every client).
func bindPath(path string) (*net.UnixListener, os.FileInfo, error) {
	ul, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, nil, err
	}
	ul.SetUnlinkOnClose(false) // we unlink path ourselves, and only if it is still ours
	fail := func(err error) (*net.UnixListener, os.FileInfo, error) {
		ul.Close()
		os.Remove(path)
		return nil, nil, err
	}
	if err := os.Chmod(path, 0o600); err != nil {
		return fail(fmt.Errorf("chmod socket: %w", err))
	}
	info, err := os.Lstat(path)
	if err != nil {
		return fail(err)
	}
	return ul, info, nil
}
