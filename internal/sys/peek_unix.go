//go:build unix

package sys

import (
	"errors"
	"io"
	"syscall"

	"golang.org/x/sys/unix"
)

// PeekFull waits, through the Go netpoller, until len(b) bytes are queued on
// the stream socket c, and copies them into b without consuming them
// (recv with MSG_PEEK). It returns early with the bytes queued so far and
// io.EOF when the peer closed its end, or the netpoller's error (a timeout
// wrapping os.ErrDeadlineExceeded under c's read deadline, net.ErrClosed).
func PeekFull(c syscall.Conn, b []byte) (n int, err error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return 0, err
	}
	var opErr error
	err = rc.Read(func(fd uintptr) bool {
		for {
			k, _, e := unix.Recvfrom(int(fd), b, unix.MSG_PEEK|unix.MSG_DONTWAIT)
			switch {
			case errors.Is(e, unix.EINTR):
				continue
			case errors.Is(e, unix.EAGAIN):
				return false // nothing queued yet: park until something arrives
			case e != nil:
				opErr = e
				return true
			case k == 0:
				opErr = io.EOF
				return true
			}
			n = k
			// Fewer bytes than wanted: park until more arrive (each arrival
			// is a new readiness edge for the netpoller).
			return n == len(b)
		}
	})
	if err != nil {
		return n, err
	}
	return n, opErr
}
