package sys

import (
	"errors"
	"fmt"
	"net"

	"golang.org/x/sys/unix"
)

// ErrControlTruncated reports that the kernel dropped file descriptors the
// peer sent because our control buffer was too small (MSG_CTRUNC).
var ErrControlTruncated = errors.New("ancillary data truncated (MSG_CTRUNC)")

// SendFds writes data and, in the same message, the descriptors fds
// (SCM_RIGHTS).
func SendFds(c *net.UnixConn, data []byte, fds ...int) error {
	var oob []byte
	if len(fds) > 0 {
		oob = unix.UnixRights(fds...)
	}
	n, oobn, err := c.WriteMsgUnix(data, oob, nil)
	if err != nil {
		return err
	}
	if n != len(data) || oobn != len(oob) {
		return fmt.Errorf("short sendmsg: %d/%d bytes, %d/%d control bytes", n, len(data), oobn, len(oob))
	}
	return nil
}

// RecvFds reads one message of at most len(buf) bytes together with up to
// maxFds descriptors. Every received descriptor is close-on-exec (the message
// is read with MSG_CMSG_CLOEXEC). On error no descriptor is left open.
func RecvFds(c *net.UnixConn, buf []byte, maxFds int) (n int, fds []int, err error) {
	oob := make([]byte, unix.CmsgSpace(4*max(maxFds, 1)))
	n, oobn, flags, _, err := c.ReadMsgUnix(buf, oob)
	if oobn > 0 {
		fds, _ = parseRights(oob[:oobn])
	}
	if err == nil && flags&unix.MSG_CTRUNC != 0 {
		err = ErrControlTruncated
	}
	if err == nil && len(fds) > maxFds {
		err = fmt.Errorf("peer sent %d file descriptors, expected at most %d", len(fds), maxFds)
	}
	if err != nil {
		CloseAll(fds)
		return n, nil, err
	}
	return n, fds, nil
}

// parseRights extracts every SCM_RIGHTS descriptor from a control buffer.
func parseRights(oob []byte) ([]int, error) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, err
	}
	var fds []int
	for i := range msgs {
		got, err := unix.ParseUnixRights(&msgs[i])
		if err == nil {
			fds = append(fds, got...)
		}
	}
	return fds, nil
}

// CloseAll closes every descriptor in fds.
func CloseAll(fds []int) {
	for _, fd := range fds {
		Close(fd)
	}
}

// PeerCred returns the pid, uid and gid of the process at the other end of c,
// as the kernel recorded them when the connection was made (SO_PEERCRED).
func PeerCred(c *net.UnixConn) (pid int32, uid, gid uint32, err error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return 0, 0, 0, err
	}
	var cred *unix.Ucred
	var credErr error
	if err := rc.Control(func(fd uintptr) {
		cred, credErr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return 0, 0, 0, err
	}
	if credErr != nil {
		return 0, 0, 0, fmt.Errorf("SO_PEERCRED: %w", credErr)
	}
	return cred.Pid, cred.Uid, cred.Gid, nil
}

// SocketPair returns the two ends of a new Unix stream socket pair,
// close-on-exec.
func SocketPair() (a, b int, err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, -1, fmt.Errorf("socketpair: %w", err)
	}
	return fds[0], fds[1], nil
}
