package listener

import (
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/internal/sys"
)

// opening is what a new client did first, as the listener tells it apart.
type opening int

const (
	openedHello  opening = iota // the session hello's magic: a tachyon-go dialer
	openedOther                 // other bytes: a plain Unix-socket client
	openedSilent                // nothing within the server-first delay: a client that waits for us
	openedGone                  // the client left, or its socket failed, before saying anything useful
)

// sniff peeks at the first bytes the client sends, consuming nothing, until
// the hello magic's length is there, the client closes, or the
// server-first delay (sniffWait) passes.
func (l *Listener) sniff(uc *net.UnixConn) (opening, error) {
	uc.SetReadDeadline(time.Now().Add(l.cfg.sniffWait()))
	defer uc.SetReadDeadline(time.Time{})
	var b [len(conn.HelloMagic)]byte
	n, err := sys.PeekFull(uc, b[:])
	got := string(b[:n])
	switch {
	case err == nil && got == conn.HelloMagic:
		return openedHello, nil
	case n > 0 && !strings.HasPrefix(conn.HelloMagic, got):
		return openedOther, nil // EOF and timeouts alike: what it sent already says it is not ours
	case errors.Is(err, os.ErrDeadlineExceeded) && n > 0:
		return openedHello, nil // part of a hello: the handshake's hello timeout decides
	case errors.Is(err, os.ErrDeadlineExceeded):
		return openedSilent, nil
	case errors.Is(err, errors.ErrUnsupported):
		return openedOther, nil // no peeking here (Windows): every client is plain
	case err == nil:
		return openedHello, nil // unreachable: four bytes that are not the magic are openedOther
	case err == io.EOF:
		return openedGone, errClientLeft
	}
	return openedGone, err
}

// errClientLeft is logged for a client that closed before it said anything
// but part of a hello.
var errClientLeft = errors.New("listener: the client closed its connection before saying what it speaks")
