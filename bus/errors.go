package bus

import (
	"errors"
	"fmt"

	"github.com/tachyon-ipc/tachyon-go/internal/peer"
	"github.com/tachyon-ipc/tachyon-go/shmring"
)

// Errors returned by this package. Compare with errors.Is; errors about the
// handshake itself wrap handshake.ErrABIMismatch's text "ABI mismatch".
var (
	// ErrPeerRefused means the process at the other end of the socket runs
	// as a uid that the options do not allow (WithPeerUIDs). It is the same
	// value as conn.ErrPeerRefused.
	ErrPeerRefused = peer.ErrRefused

	// ErrWrongKind means the listener offers an RPC bus to Dial, or a
	// plain bus to DialRPC.
	ErrWrongKind = errors.New("bus: peer offers the other kind of bus")

	// ErrPathInUse means Listen found something at the socket path that it
	// must not remove: a file that is not a socket, or a socket on which a
	// process still listens.
	ErrPathInUse = errors.New("bus: socket path in use")

	// ErrRoleTaken means the bus already has its role (Producer, Consumer,
	// Caller or Callee) opened: each end plays one role, once.
	ErrRoleTaken = errors.New("bus: role already opened on this bus")

	// ErrFrameLimit is matched by a *FrameLimitError.
	ErrFrameLimit = errors.New("bus: frame too large for a Tachyon consumer")

	// ErrOutOfOrder means an RPC reply or wait did not follow call order,
	// which Tachyon's RPC layer requires.
	ErrOutOfOrder = errors.New("bus: RPC out of order")

	// ErrClosed means the bus was closed locally.
	ErrClosed = errors.New("bus: closed")
)

// FrameLimitError reports a frame larger than a Tachyon consumer can always
// drain from this ring (see TachyonMaxPayload). errors.Is matches both
// ErrFrameLimit and shmring.ErrTooLarge.
type FrameLimitError struct {
	Size     int // payload bytes asked for
	Max      int // largest payload this ring allows, -1 if none
	Capacity int // this ring's capacity
	Need     int // smallest capacity that allows Size, 0 if none does
}

// Error states the frame, the limit, why, and the capacity that would carry it.
func (e *FrameLimitError) Error() string {
	msg := fmt.Sprintf("bus: frame of %d bytes too large for a Tachyon consumer: a ring of capacity %d carries frames "+
		"of at most %d bytes, because a Tachyon consumer publishes its tail only every 32 frames "+
		"(32 frames plus one wrap must fit: 33 × slot − 64 ≤ capacity, slot = payload + 64 rounded up to 64)",
		e.Size, e.Capacity, e.Max)
	if e.Need > 0 {
		return msg + fmt.Sprintf("; a ring of capacity %d would carry it", e.Need)
	}
	return msg + "; no ring capacity can carry it"
}

// Is makes errors.Is match ErrFrameLimit and shmring.ErrTooLarge.
func (e *FrameLimitError) Is(target error) bool {
	return target == ErrFrameLimit || target == shmring.ErrTooLarge
}
