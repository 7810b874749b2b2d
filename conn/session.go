package conn

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strconv"

	"github.com/tachyon-ipc/tachyon-go/internal/sys"
	"github.com/tachyon-ipc/tachyon-go/shmring"
)

// The tachyon-go session, version 2 (ABI.md §5). The client speaks first:
// its hello asks for ring sizes, and the listener allocates nothing before a
// valid one arrived. The listener answers with Tachyon's 32-byte handshake
// and the ring memfds, then its offer with the ringing ends of its two
// doorbells; the client acknowledges with the ringing ends of its own. Each
// side creates the doorbells it parks on and hands over only their ringing
// ends, so no peer ever holds a file description we wait on.
const (
	helloMagic = 0x484f4754 // "TGOH" read as a little-endian u32
	helloSize  = 32

	sessionMagic   = 0x534f4754 // "TGOS" read as a little-endian u32
	sessionVersion = 2
	sessionSize    = 16

	// featureWakeSockets: each side parks on doorbells it created itself
	// (Unix stream socket pairs) and passes the peer only their ringing
	// ends. Required in version 2.
	featureWakeSockets = 1 << 0
)

// Session statuses: the last word of an offer, an acknowledgement or a
// refusal.
const (
	statusOK          = 0
	statusVersion     = 1 // the listener does not speak the hello's version; the message carries its own
	statusBadHello    = 2 // the hello's fields are not acceptable
	statusPeerRefused = 3 // the listener refuses the dialer's credentials
	statusNoShm       = 4 // the listener cannot set up shared memory: the dialer may fall back to a plain connection
)

// Order of the ringing ends in an offer and an acknowledgement: the
// sender's data doorbell (ring it after publishing on the ring the sender
// reads) and its space doorbell (ring it after consuming from the ring the
// sender writes).
const (
	bellData = iota
	bellSpace
	numBells
)

// helloMsg is the dialer's first message.
type helloMsg struct {
	version  uint32
	features uint32
	toServer uint32 // requested capacity of the client→server ring; 0: the listener's default
	toClient uint32 // requested capacity of the server→client ring; 0: the listener's default
	protocol uint32 // what the dialer will speak over the connection (WithProtocol); 0: unspecified
}

func (h helloMsg) marshal() [helloSize]byte {
	var b [helloSize]byte
	ne := binary.NativeEndian
	ne.PutUint32(b[0:], helloMagic)
	ne.PutUint32(b[4:], h.version)
	ne.PutUint32(b[8:], h.features)
	ne.PutUint32(b[12:], h.toServer)
	ne.PutUint32(b[16:], h.toClient)
	ne.PutUint32(b[20:], h.protocol)
	return b
}

// parseHello decodes a hello. A wrong version is reported with status
// statusVersion, other defects with statusBadHello.
func parseHello(b []byte) (helloMsg, uint32, error) {
	ne := binary.NativeEndian
	if len(b) < helloSize || ne.Uint32(b[0:]) != helloMagic {
		return helloMsg{}, statusBadHello, fmt.Errorf("%w: client opened with %s, not a tachyon-go hello", ErrNotSession, quoteStart(b))
	}
	h := helloMsg{version: ne.Uint32(b[4:]), features: ne.Uint32(b[8:]),
		toServer: ne.Uint32(b[12:]), toClient: ne.Uint32(b[16:]), protocol: ne.Uint32(b[20:])}
	if h.version != sessionVersion {
		return h, statusVersion, fmt.Errorf("%w: client speaks session version %d, we speak %d", ErrNotSession, h.version, sessionVersion)
	}
	if h.features&featureWakeSockets == 0 {
		return h, statusBadHello, fmt.Errorf("%w: client does not offer its own doorbells", ErrNotSession)
	}
	for _, w := range b[24:helloSize] {
		if w != 0 {
			return h, statusBadHello, fmt.Errorf("%w: reserved hello bytes are not zero", ErrNotSession)
		}
	}
	return h, statusOK, nil
}

// sessionMsg is an offer (listener), an acknowledgement (dialer) or a
// refusal (listener, status not 0, no descriptors).
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
	if m.status != statusOK {
		return m, nil // a refusal: the caller reports it, with the version it names
	}
	if m.version != sessionVersion {
		return sessionMsg{}, fmt.Errorf("%w: peer speaks session version %d, we speak %d", ErrNotSession, m.version, sessionVersion)
	}
	if m.features&featureWakeSockets == 0 {
		return sessionMsg{}, fmt.Errorf("%w: peer does not offer its own doorbells", ErrNotSession)
	}
	return m, nil
}

// refusalError explains a refusal: a listener's of our hello (fromListener),
// or a dialer's of the session.
func refusalError(m sessionMsg, fromListener bool) error {
	if !fromListener {
		return fmt.Errorf("%w: peer rejected the session (status %d)", ErrNotSession, m.status)
	}
	switch m.status {
	case statusVersion:
		return fmt.Errorf("%w: listener speaks session version %d, we speak %d", ErrNotSession, m.version, sessionVersion)
	case statusPeerRefused:
		return fmt.Errorf("%w: the listener refuses our credentials", ErrPeerRefused)
	case statusNoShm:
		return fmt.Errorf("%w: the listener cannot set up shared memory on its side", ErrNoSharedMemory)
	default:
		return fmt.Errorf("%w: the listener refused our hello (status %d)", ErrNotSession, m.status)
	}
}

// sendRefusal tells a dialer why its hello is refused. Best effort: the
// connection is closed right after.
func sendRefusal(c *net.UnixConn, status uint32) {
	b := sessionMsg{version: sessionVersion, status: status}.marshal()
	c.Write(b[:])
}

// ownBells creates the two doorbells this side parks on, and returns the
// descriptors of their ringing ends, to be sent to the peer and then closed.
func ownBells() (bells [numBells]*shmring.Doorbell, ringFds [numBells]int, err error) {
	for i := range bells {
		if bells[i], ringFds[i], err = shmring.NewDoorbell(); err != nil {
			for j := range i {
				bells[j].Close()
				sys.Close(ringFds[j])
			}
			return bells, ringFds, err
		}
	}
	return bells, ringFds, nil
}

// sendBells sends a session message with our ringing ends, then closes our
// copies of them.
func sendBells(c *net.UnixConn, ringFds [numBells]int) error {
	defer sys.CloseAll(ringFds[:])
	b := sessionMsg{version: sessionVersion, features: featureWakeSockets, status: statusOK}.marshal()
	return sys.SendFds(c, b[:], ringFds[:]...)
}

// recvBells reads the peer's session message and the ringing ends of its
// doorbells: the listener's offer (fromListener) or the dialer's
// acknowledgement. On error no descriptor is left open.
func recvBells(c *net.UnixConn, fromListener bool) (ringers [numBells]*shmring.Ringer, err error) {
	peer := "a Tachyon connector"
	if fromListener {
		peer = "a Tachyon listener"
	}
	var b [sessionSize]byte
	// Room for the four descriptors of a version 1 offer, so that an older
	// listener is reported by its version.
	n, fds, err := sys.RecvFds(c, b[:], 4)
	if err == nil && n == 0 || err != nil && n == 0 && hungUp(err) {
		return ringers, fmt.Errorf("%w: it closed the socket after the Tachyon handshake (%s?)", ErrNotSession, peer)
	}
	if err == nil && n < sessionSize {
		// A stream may split the message; the descriptors came with its
		// first byte.
		var k int
		k, err = io.ReadFull(c, b[n:])
		n += k
	}
	if err != nil {
		sys.CloseAll(fds)
		return ringers, err
	}
	m, err := parseSession(b[:n])
	if err == nil && m.status != statusOK {
		err = refusalError(m, fromListener)
	}
	if err == nil && len(fds) != numBells {
		err = fmt.Errorf("%w: session message carried %d doorbells, expected %d", ErrNotSession, len(fds), numBells)
	}
	if err != nil {
		sys.CloseAll(fds)
		return ringers, err
	}
	for i, fd := range fds {
		if ringers[i], err = shmring.OpenRinger(fd); err != nil { // takes fd, also on error
			for j := range i {
				ringers[j].Close()
			}
			sys.CloseAll(fds[i+1:])
			return ringers, fmt.Errorf("%w: %v", ErrNotSession, err)
		}
	}
	return ringers, nil
}

// quoteStart shows the first bytes a peer sent, for an error message.
func quoteStart(b []byte) string {
	if len(b) > 16 {
		b = b[:16]
	}
	return strconv.Quote(string(b))
}
