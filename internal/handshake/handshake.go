// Package handshake encodes, checks and exchanges Tachyon's 32-byte
// connection handshake (ABI.md §4): the message a listener sends once,
// together with the ring memfds, to the peer that connects to its Unix
// socket.
package handshake

import (
	"encoding/binary"
	"fmt"
	"net"

	"github.com/tachyon-ipc/tachyon-go/internal/sys"
	"github.com/tachyon-ipc/tachyon-go/shmring"
)

// Size is the length of the handshake message.
const Size = 32

// Values of the flags word.
const (
	FlagsPlain   = 0 // one ring, one memfd
	FlagsTwoRing = 1 // two rings [fwd, rev], two memfds (Tachyon's RPC bus)
)

// Byte offsets of the handshake fields.
const (
	offMagic       = 0
	offVersion     = 4
	offCapacityFwd = 8
	offShmSizeFwd  = 12
	offCapacityRev = 16
	offShmSizeRev  = 20
	offAlignment   = 24
	offFlags       = 28
)

// ErrABIMismatch is wrapped by every error about a handshake we cannot
// accept; compare with errors.Is. It is shmring's, so one sentinel covers a
// bad handshake and a bad control block alike.
var ErrABIMismatch = shmring.ErrABIMismatch

// Hello is a decoded handshake. Magic, version and alignment are implied:
// they are always Tachyon's.
type Hello struct {
	CapacityFwd int  // fwd ring: listener → connector on a two-ring bus
	CapacityRev int  // rev ring, 0 on a plain bus
	TwoRing     bool // flags = 1
}

// Rings returns how many memfds travel with the handshake.
func (h Hello) Rings() int {
	if h.TwoRing {
		return 2
	}
	return 1
}

// Marshal encodes h as the 32 bytes Tachyon sends.
func (h Hello) Marshal() [Size]byte {
	var b [Size]byte
	ne := binary.NativeEndian
	ne.PutUint32(b[offMagic:], shmring.Magic)
	ne.PutUint32(b[offVersion:], shmring.WireVersion)
	ne.PutUint32(b[offCapacityFwd:], uint32(h.CapacityFwd))
	ne.PutUint32(b[offShmSizeFwd:], uint32(shmring.SegmentSize(h.CapacityFwd)))
	if h.TwoRing {
		ne.PutUint32(b[offCapacityRev:], uint32(h.CapacityRev))
		ne.PutUint32(b[offShmSizeRev:], uint32(shmring.SegmentSize(h.CapacityRev)))
		ne.PutUint32(b[offFlags:], FlagsTwoRing)
	}
	ne.PutUint32(b[offAlignment:], shmring.MsgAlignment)
	return b
}

// Parse decodes and checks a handshake the way a Tachyon connector does, and
// a little more: every size must agree with its capacity and the capacities
// must be valid.
func Parse(b []byte) (Hello, error) {
	if len(b) != Size {
		return Hello{}, fmt.Errorf("%w: handshake is %d bytes, expected %d", ErrABIMismatch, len(b), Size)
	}
	ne := binary.NativeEndian
	u := func(off int) uint32 { return ne.Uint32(b[off:]) }
	if m := u(offMagic); m != shmring.Magic {
		return Hello{}, fmt.Errorf("%w: peer magic %#x, expected %#x (not a Tachyon peer?)", ErrABIMismatch, m, shmring.Magic)
	}
	if v := u(offVersion); v != shmring.WireVersion {
		return Hello{}, fmt.Errorf("%w: peer speaks wire version %d, we speak %d", ErrABIMismatch, v, shmring.WireVersion)
	}
	if a := u(offAlignment); a != shmring.MsgAlignment {
		return Hello{}, fmt.Errorf("%w: peer aligns messages to %d bytes, we need %d", ErrABIMismatch, a, shmring.MsgAlignment)
	}
	var h Hello
	switch f := u(offFlags); f {
	case FlagsPlain:
	case FlagsTwoRing:
		h.TwoRing = true
	default:
		return Hello{}, fmt.Errorf("%w: unknown handshake flags %#x", ErrABIMismatch, f)
	}
	var err error
	if h.CapacityFwd, err = ringSize("fwd", u(offCapacityFwd), u(offShmSizeFwd)); err != nil {
		return Hello{}, err
	}
	if h.TwoRing {
		if h.CapacityRev, err = ringSize("rev", u(offCapacityRev), u(offShmSizeRev)); err != nil {
			return Hello{}, err
		}
	} else if u(offCapacityRev) != 0 || u(offShmSizeRev) != 0 {
		return Hello{}, fmt.Errorf("%w: plain bus states a reverse ring", ErrABIMismatch)
	}
	return h, nil
}

func ringSize(name string, capacity, shmSize uint32) (int, error) {
	if err := shmring.CheckCapacity(int(capacity)); err != nil {
		return 0, fmt.Errorf("%w: %s ring: %v", ErrABIMismatch, name, err)
	}
	if int(shmSize) != shmring.SegmentSize(int(capacity)) {
		return 0, fmt.Errorf("%w: %s ring of capacity %d states a segment of %d bytes, expected %d",
			ErrABIMismatch, name, capacity, shmSize, shmring.SegmentSize(int(capacity)))
	}
	return int(capacity), nil
}

// Send writes the handshake with the ring memfds in one SCM_RIGHTS message.
func Send(c *net.UnixConn, h Hello, fds ...int) error {
	if len(fds) != h.Rings() {
		return fmt.Errorf("handshake: %d ring descriptors for %d rings", len(fds), h.Rings())
	}
	b := h.Marshal()
	return sys.SendFds(c, b[:], fds...)
}

// Receive reads one handshake and its memfds, as a Tachyon connector does,
// and checks that exactly one memfd arrived per ring. On error no
// descriptor is left open.
func Receive(c *net.UnixConn) (Hello, []int, error) {
	var b [Size]byte
	n, fds, err := sys.RecvFds(c, b[:], 2)
	if err != nil {
		return Hello{}, nil, fmt.Errorf("handshake: %w", err)
	}
	h, err := Parse(b[:n])
	if err == nil && len(fds) != h.Rings() {
		err = fmt.Errorf("%w: peer sent %d memfds for %d rings", ErrABIMismatch, len(fds), h.Rings())
	}
	if err != nil {
		sys.CloseAll(fds)
		return Hello{}, nil, err
	}
	return h, fds, nil
}
