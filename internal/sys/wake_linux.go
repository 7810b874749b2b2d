package sys

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// NewWakePair creates the two ends of a wake channel: a Unix stream socket
// pair, non-blocking and close-on-exec. The waiting side keeps ours and
// hands theirs to the side that wakes it.
func NewWakePair() (ours, theirs int, err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, -1, fmt.Errorf("socketpair: %w", err)
	}
	// Nothing is ever sent from our end: shut it, so a peer that reads its
	// end sees end-of-file rather than waiting.
	unix.Shutdown(fds[0], unix.SHUT_WR)
	return fds[0], fds[1], nil
}

// CheckWakeEnd verifies that fd is a Unix stream socket, as the ringing end
// of a wake channel must be.
func CheckWakeEnd(fd int) error {
	domain, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_DOMAIN)
	if err != nil {
		return fmt.Errorf("wake descriptor is not a socket: %w", err)
	}
	typ, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE)
	if err != nil {
		return fmt.Errorf("wake descriptor: SO_TYPE: %w", err)
	}
	if domain != unix.AF_UNIX || typ != unix.SOCK_STREAM {
		return fmt.Errorf("wake descriptor is a socket of domain %d, type %d; expected a Unix stream socket", domain, typ)
	}
	return nil
}

// SendWake sends one byte on the ringing end of a wake channel without ever
// blocking (MSG_DONTWAIT) or raising SIGPIPE (MSG_NOSIGNAL). A full queue
// (EAGAIN) already means a wake-up is pending, and a vanished waiter needs
// none, so errors are not reported.
func SendWake(fd int) {
	one := [1]byte{1}
	unix.Sendto(fd, one[:], unix.MSG_DONTWAIT|unix.MSG_NOSIGNAL, nil)
}

// drainReads bounds how many reads one DrainWake makes, so a peer flooding
// the channel cannot keep a waiter reading for ever.
const drainReads = 16

// DrainWake reads what the ringing end sent. It returns unix.EAGAIN when
// nothing was pending, and eof when the ringing end is closed or shut down
// (the channel can never ring again).
func DrainWake(fd int) (eof bool, err error) {
	var buf [256]byte
	for i := 0; i < drainReads; i++ {
		n, err := unix.Read(fd, buf[:])
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN && i > 0:
			return false, nil
		case err != nil:
			return false, err
		case n == 0:
			return true, nil
		case n < len(buf):
			return false, nil
		}
	}
	return false, nil
}
