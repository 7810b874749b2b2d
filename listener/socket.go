package listener

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"syscall"
	"time"
)

// ErrAddrInUse means a live listener already answers at the path.
var ErrAddrInUse = errors.New("listener: a live listener already answers at this path")

// bindSocket binds the listener's socket: an abstract name as it is; a path
// after checking it (a stale socket, where nobody answers, is replaced; a
// live one, or anything that is not a socket, is left alone) and then as
// the system allows (bindPath: socket_linux.go, socket_other.go).
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
	return bindPath(path)
}

// checkFree refuses a path where a live listener answers or where a
// non-socket file stands, and reports a stale socket there.
func checkFree(path string) (stale bool, err error) {
	info, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if info.Mode().Type() != fs.ModeSocket {
		return false, fmt.Errorf("listener: %s exists and is not a socket", path)
	}
	c, err := net.DialTimeout("unix", path, time.Second)
	if err == nil {
		c.Close()
		return false, fmt.Errorf("%w: %s", ErrAddrInUse, path)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return false, fmt.Errorf("listener: probing %s: %w", path, err)
	}
	return true, nil
}

// unlinkIfOurs removes path if it is still the socket we bound.
func unlinkIfOurs(path string, ours os.FileInfo) {
	if info, err := os.Lstat(path); err == nil && os.SameFile(info, ours) {
		os.Remove(path)
	}
}
