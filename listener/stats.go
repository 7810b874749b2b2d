package listener

import (
	"errors"
	"sync/atomic"

	"github.com/tachyon-ipc/tachyon-go/conn"
)

// Stats counts what became of the clients a Listener took off its socket.
// Every client counted in Accepted ends in exactly one of the other
// counters, or is still handshaking (or still being told apart).
type Stats struct {
	Accepted   uint64 // clients taken off the socket
	Handshaken uint64 // handshakes that succeeded (handed to Accept, or closed by Close)
	Plain      uint64 // plain Unix-socket clients (handed to Accept, or closed by Close)
	NoHello    uint64 // clients that sent no session hello within the hello timeout (conn.ErrNoHello)
	Refused    uint64 // clients whose credentials the uid policy refused (conn.ErrPeerRefused)
	Failed     uint64 // handshakes that failed otherwise: a bad hello, a timeout, a client that left
	Evicted    uint64 // handshakes dropped to make room for newer ones (WithMaxHandshakes)
}

// Stats returns the listener's counters so far.
func (l *Listener) Stats() Stats {
	s := &l.stats
	return Stats{
		Accepted: s.accepted.Load(), Handshaken: s.handshaken.Load(), Plain: s.plain.Load(), NoHello: s.noHello.Load(),
		Refused: s.refused.Load(), Failed: s.failed.Load(), Evicted: s.evicted.Load(),
	}
}

type counters struct {
	accepted, handshaken, plain, noHello, refused, failed, evicted atomic.Uint64
}

// count files a failed handshake under its cause.
func (s *counters) count(err error) {
	switch {
	case errors.Is(err, conn.ErrNoHello):
		s.noHello.Add(1)
	case errors.Is(err, conn.ErrPeerRefused):
		s.refused.Add(1)
	default:
		s.failed.Add(1)
	}
}
