package conn

import (
	"encoding/binary"
	"fmt"
	"net"

	"github.com/tachyon-ipc/tachyon-go/internal/sys"
)

// The tachyon-go session (ABI.md §5) follows Tachyon's 32-byte handshake on
// the same socket, so a Tachyon peer never sees it: the listener offers the
// extensions with the four doorbell eventfds, and the dialer acknowledges.
// A Tachyon connector closes its socket after the 32 bytes, a Tachyon
// listener sends nothing more: either way the session fails cleanly.
const (
	sessionMagic   = 0x534f4754 // "TGOS" read as a little-endian u32
	sessionVersion = 1
	sessionSize    = 16

	// featureDoorbells: both sides park on eventfd doorbells and wake each
	// other through them instead of Tachyon's futex. Required in version 1.
	featureDoorbells = 1 << 0

	// Ack status codes.
	statusOK = 0
)

// Order of the doorbell descriptors in the session offer.
const (
	bellToServerData  = iota // server parks for data on the client→server ring
	bellToServerSpace        // client parks for room on the client→server ring
	bellToClientData         // client parks for data on the server→client ring
	bellToClientSpace        // server parks for room on the server→client ring
	numBells
)

type sessionMsg struct {
	version  uint32
	features uint32
	status   uint32
}

func (m sessionMsg) marshal() [sessionSize]byte {
	var b [sessionSize]byte
	ne := binary.NativeEndian
	ne.PutUint32(b[0:], sessionMagic)
	ne.PutUint32(b[4:], m.version)
	ne.PutUint32(b[8:], m.features)
	ne.PutUint32(b[12:], m.status)
	return b
}

func parseSession(b []byte) (sessionMsg, error) {
	if len(b) != sessionSize {
		return sessionMsg{}, fmt.Errorf("%w: session message of %d bytes, expected %d", ErrNotSession, len(b), sessionSize)
	}
	ne := binary.NativeEndian
	if m := ne.Uint32(b[0:]); m != sessionMagic {
		return sessionMsg{}, fmt.Errorf("%w: session magic %#x", ErrNotSession, m)
	}
	m := sessionMsg{version: ne.Uint32(b[4:]), features: ne.Uint32(b[8:]), status: ne.Uint32(b[12:])}
	if m.version != sessionVersion {
		return sessionMsg{}, fmt.Errorf("%w: peer speaks session version %d, we speak %d", ErrNotSession, m.version, sessionVersion)
	}
	if m.features&featureDoorbells == 0 {
		return sessionMsg{}, fmt.Errorf("%w: peer does not offer doorbells", ErrNotSession)
	}
	return m, nil
}

// sendOffer sends the session offer with the doorbell descriptors.
func sendOffer(c *net.UnixConn, bells [numBells]int) error {
	b := sessionMsg{version: sessionVersion, features: featureDoorbells}.marshal()
	return sys.SendFds(c, b[:], bells[:]...)
}

// recvOffer reads the session offer and its doorbells; every descriptor is
// checked to be an eventfd. On error none is left open.
func recvOffer(c *net.UnixConn) ([numBells]int, error) {
	var bells [numBells]int
	var b [sessionSize]byte
	n, fds, err := sys.RecvFds(c, b[:], numBells)
	if err != nil {
		if n == 0 && hungUp(err) {
			return bells, fmt.Errorf("%w: it closed the socket after the Tachyon handshake (a Tachyon listener?)", ErrNotSession)
		}
		return bells, fmt.Errorf("conn: session offer: %w", err)
	}
	if _, err := parseSession(b[:n]); err != nil {
		sys.CloseAll(fds)
		return bells, err
	}
	if len(fds) != numBells {
		sys.CloseAll(fds)
		return bells, fmt.Errorf("%w: session offer carried %d doorbells, expected %d", ErrNotSession, len(fds), numBells)
	}
	for _, fd := range fds {
		if !sys.IsEventfd(fd) {
			sys.CloseAll(fds)
			return bells, fmt.Errorf("%w: a doorbell descriptor is not an eventfd", ErrNotSession)
		}
	}
	copy(bells[:], fds)
	return bells, nil
}

// sendAck accepts the offer.
func sendAck(c *net.UnixConn) error {
	b := sessionMsg{version: sessionVersion, features: featureDoorbells, status: statusOK}.marshal()
	_, err := c.Write(b[:])
	return err
}

// recvAck reads the dialer's acknowledgement.
func recvAck(c *net.UnixConn) error {
	var b [sessionSize]byte
	n, err := readFull(c, b[:])
	if err != nil {
		if n == 0 && hungUp(err) {
			return fmt.Errorf("%w: it closed the socket after the Tachyon handshake (a Tachyon connector?)", ErrNotSession)
		}
		return fmt.Errorf("conn: session ack: %w", err)
	}
	m, err := parseSession(b[:])
	if err != nil {
		return err
	}
	if m.status != statusOK {
		return fmt.Errorf("conn: peer rejected the session (status %d)", m.status)
	}
	return nil
}
