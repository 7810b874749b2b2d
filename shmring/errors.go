package shmring

import (
	"errors"
	"fmt"
)

// Errors returned by rings. Compare with errors.Is.
var (
	// ErrFull means the ring has no room for the frame now; it is
	// transient: wait, or retry once the consumer has caught up.
	ErrFull = errors.New("shmring: ring full")

	// ErrEmpty means no frame is ready now; it is transient.
	ErrEmpty = errors.New("shmring: ring empty")

	// ErrTooLarge means the frame can never fit in this ring. The error
	// returned is a *TooLargeError that states the limit.
	ErrTooLarge = errors.New("shmring: frame too large")

	// ErrClosed means this side of the ring was closed locally.
	ErrClosed = errors.New("shmring: ring closed")

	// ErrPeerClosed means the consumer at the other end has gone: frames
	// written now would never be read.
	ErrPeerClosed = errors.New("shmring: consumer closed")

	// ErrCorrupt means the shared memory broke the protocol (a bad index
	// or frame header). The ring is unusable; the error returned is a
	// *CorruptError that says what was wrong.
	ErrCorrupt = errors.New("shmring: ring corrupt")

	// ErrABIMismatch is wrapped by every error about a segment or handshake
	// that does not speak our wire format (magic, version, capacity,
	// alignment).
	ErrABIMismatch = errors.New("ABI mismatch")

	// ErrBusy means a view is still outstanding: commit or roll it back
	// before acquiring the next.
	ErrBusy = errors.New("shmring: previous acquire not committed")

	// ErrNoNUMANode means a NUMA node that this machine does not have.
	ErrNoNUMANode = errors.New("shmring: no such NUMA node")

	// ErrViewLength means a typed view's bytes are not a whole number of
	// elements.
	ErrViewLength = errors.New("shmring: view length is not a multiple of the element size")

	// ErrViewAlignment means a typed view's bytes do not start on the
	// element type's alignment.
	ErrViewAlignment = errors.New("shmring: view is misaligned for the element type")
)

// TooLargeError reports a frame that exceeds what the ring can ever hold.
type TooLargeError struct {
	Size int // requested payload bytes
	Max  int // largest payload this ring accepts
}

// Error states the requested size and the limit.
func (e *TooLargeError) Error() string {
	return fmt.Sprintf("shmring: frame of %d bytes too large: this ring carries at most %d", e.Size, e.Max)
}

// Is makes errors.Is(err, ErrTooLarge) true.
func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge }

// CorruptError describes how the shared memory broke the protocol.
type CorruptError struct {
	Reason string
}

// Error says what was corrupt.
func (e *CorruptError) Error() string { return "shmring: ring corrupt: " + e.Reason }

// Is makes errors.Is(err, ErrCorrupt) true.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

func corruptf(format string, args ...any) error {
	return &CorruptError{Reason: fmt.Sprintf(format, args...)}
}
