package shmring

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/tachyon-ipc/tachyon-go/internal/sys"
	"golang.org/x/sys/unix"
)

// Doorbell is an eventfd that one side of a ring parks on and the other side
// rings. Parking goes through Go's network poller, so a waiting goroutine
// holds no OS thread: a thousand idle connections cost a thousand parked
// goroutines, not a thousand threads.
//
// Rings coalesce: several rings before a wait cause one wake-up, and a stale
// ring causes at most one spurious wake-up, which callers absorb by
// re-checking their condition.
type Doorbell struct {
	f  *os.File
	rc syscall.RawConn
}

// NewDoorbell creates a doorbell backed by a fresh eventfd.
func NewDoorbell() (*Doorbell, error) {
	fd, err := sys.NewEventfd()
	if err != nil {
		return nil, err
	}
	return newDoorbell(fd)
}

// OpenDoorbell wraps a doorbell descriptor received from a peer. It checks
// that fd is an eventfd and takes ownership of it (also on error).
func OpenDoorbell(fd int) (*Doorbell, error) {
	if !sys.IsEventfd(fd) {
		sys.Close(fd)
		return nil, errors.New("shmring: doorbell descriptor is not an eventfd")
	}
	// The peer may have handed us a blocking description; the poller needs
	// it non-blocking.
	if err := sys.SetNonblock(fd); err != nil {
		sys.Close(fd)
		return nil, fmt.Errorf("shmring: doorbell: %w", err)
	}
	return newDoorbell(fd)
}

func newDoorbell(fd int) (*Doorbell, error) {
	f := os.NewFile(uintptr(fd), "tachyon-doorbell")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &Doorbell{f: f, rc: rc}, nil
}

// Fd calls fn with the doorbell's descriptor, for passing it to a peer. The
// descriptor is valid only during fn.
func (d *Doorbell) Fd(fn func(fd int)) error {
	return d.rc.Control(func(fd uintptr) { fn(int(fd)) })
}

// Ring wakes the side parked on the doorbell, or makes its next Wait return
// at once. It is one write system call.
func (d *Doorbell) Ring() error {
	var werr error
	err := d.rc.Write(func(fd uintptr) bool {
		werr = sys.EventfdSignal(int(fd))
		return true
	})
	if err != nil {
		return mapPollError(err)
	}
	return werr
}

// Wait parks the calling goroutine until the doorbell rings, its deadline
// passes (os.ErrDeadlineExceeded) or it is closed (ErrClosed).
func (d *Doorbell) Wait() error {
	var rerr error
	err := d.rc.Read(func(fd uintptr) bool {
		rerr = sys.EventfdDrain(int(fd))
		return rerr != unix.EAGAIN
	})
	if err != nil {
		return mapPollError(err)
	}
	return rerr
}

// SetDeadline sets when a Wait, present or future, gives up. A zero time
// means never. Moving the deadline into the past wakes a parked Wait.
func (d *Doorbell) SetDeadline(t time.Time) error {
	return mapPollError(d.f.SetReadDeadline(t))
}

// Close closes the descriptor and wakes every parked Wait with ErrClosed.
func (d *Doorbell) Close() error { return d.f.Close() }

func mapPollError(err error) error {
	if errors.Is(err, os.ErrClosed) {
		return ErrClosed
	}
	return err
}
