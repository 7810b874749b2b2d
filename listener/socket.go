package listener

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// ErrAddrInUse means a live listener already answers at the path.
var ErrAddrInUse = errors.New("listener: a live listener already answers at this path")

// bindSocket binds a Unix socket at path with file mode 0600 from the first
// instant: it binds under a temporary name, restricts it, then renames it
// into place. A stale socket at path (nobody answers) is replaced; a live
// one, or anything that is not a socket, is left alone.
func bindSocket(path string) (*net.UnixListener, os.FileInfo, error) {
	if err := checkFree(path); err != nil {
		return nil, nil, err
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp"+strconv.Itoa(os.Getpid()))
	os.Remove(tmp)
	ul, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		return nil, nil, err
	}
	ul.SetUnlinkOnClose(false) // we unlink path ourselves, and only if it is still ours
	fail := func(err error) (*net.UnixListener, os.FileInfo, error) {
		ul.Close()
		os.Remove(tmp)
		return nil, nil, err
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fail(err)
	}
	info, err := os.Lstat(path)
	if err != nil {
		return fail(err)
	}
	return ul, info, nil
}

// checkFree refuses a path where a live listener answers or where a
// non-socket file stands.
func checkFree(path string) error {
	info, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if info.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("listener: %s exists and is not a socket", path)
	}
	c, err := net.DialTimeout("unix", path, time.Second)
	if err == nil {
		c.Close()
		return fmt.Errorf("%w: %s", ErrAddrInUse, path)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("listener: probing %s: %w", path, err)
	}
	return nil // stale: bindSocket's rename replaces it
}

// unlinkIfOurs removes path if it is still the socket we bound.
func unlinkIfOurs(path string, ours os.FileInfo) {
	if info, err := os.Lstat(path); err == nil && os.SameFile(info, ours) {
		os.Remove(path)
	}
}
