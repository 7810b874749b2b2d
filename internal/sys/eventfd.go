package sys

import (
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// NewEventfd returns a non-blocking, close-on-exec eventfd with a zero counter.
func NewEventfd() (int, error) {
	fd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		return -1, fmt.Errorf("eventfd: %w", err)
	}
	return fd, nil
}

// IsEventfd reports whether fd refers to an eventfd.
func IsEventfd(fd int) bool {
	target, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
	return err == nil && target == "anon_inode:[eventfd]"
}

// SetNonblock puts fd in non-blocking mode; passing a file to a child process
// or calling (*os.File).Fd clears the flag on the shared file description.
func SetNonblock(fd int) error { return unix.SetNonblock(fd, true) }

// EventfdSignal adds one to the eventfd counter, waking a reader. A full
// counter (EAGAIN) already means "wake up", so it is not an error.
func EventfdSignal(fd int) error {
	one := [8]byte{1}
	_, err := unix.Write(fd, one[:])
	if err == unix.EAGAIN {
		return nil
	}
	return err
}

// EventfdDrain resets the counter. It returns unix.EAGAIN when it was zero.
func EventfdDrain(fd int) error {
	var buf [8]byte
	_, err := unix.Read(fd, buf[:])
	return err
}
