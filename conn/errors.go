package conn

import (
	"context"
	"errors"
	"io"
	"os"
	"syscall"

	"github.com/tachyon-ipc/tachyon-go/internal/peer"
)

// Errors of the connection setup; compare with errors.Is.
var (
	// ErrNotSession means the peer speaks Tachyon but not the tachyon-go
	// session (for instance a Tachyon C++ listener); use package bus.
	ErrNotSession = errors.New("conn: peer is not a tachyon-go session peer")

	// ErrPeerRefused means the peer's credentials are not allowed (see
	// WithPeerUIDs). It is the same value as bus.ErrPeerRefused.
	ErrPeerRefused = peer.ErrRefused
)

// hungUp reports whether err means the peer closed its socket: an end of
// file, a reset when it closed with our bytes unread, or a broken pipe when
// we wrote after it closed.
func hungUp(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// ctxError is the error of a setup that ctx ended: a timeout that satisfies
// net.Error (and errors.Is with context.DeadlineExceeded), or ctx's cause.
func ctxError(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return timeoutError{}
	}
	return context.Cause(ctx)
}

// ErrNoHello is wrapped by the error of an accepted connection whose
// client sent no session hello within the hello timeout (WithHelloTimeout).
var ErrNoHello = errors.New("conn: the client sent no session hello in time " +
	"(a Tachyon connector, or a client of another protocol that waits for the server to speak?)")

// timeoutError is a setup timeout, as the net package reports one: it
// satisfies net.Error with Timeout() true, and errors.Is matches both
// context.DeadlineExceeded and os.ErrDeadlineExceeded. during says what the
// handshake was waiting for, if known.
type timeoutError struct{ during string }

func (e timeoutError) Error() string {
	if e.during != "" {
		return "i/o timeout " + e.during
	}
	return "i/o timeout"
}
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }
func (timeoutError) Is(target error) bool {
	return target == context.DeadlineExceeded || target == os.ErrDeadlineExceeded
}
