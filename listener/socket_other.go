//go:build !linux

package listener

import (
	"fmt"
	"net"
	"os"
)

// bindSocket binds a Unix socket at path and gives it file mode 0600. Only
// Linux lets a socket's mode be set before bind; here the path has the
// umask's mode until the chmod, a moment after bind. A stale socket at path
// (nobody answers) is replaced; a live one, or anything that is not a
// socket, is left alone.
func bindSocket(path string) (*net.UnixListener, os.FileInfo, error) {
	if IsAbstract(path) {
		return bindAbstract(path) // abstract.go: no file, so no mode, stale check or unlink
	}
	stale, err := checkFree(path)
	if err != nil {
		return nil, nil, err
	}
	if stale {
		os.Remove(path)
	}
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
