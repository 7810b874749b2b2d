package bench

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/tachyon-ipc/tachyon-go/internal/sys"
)

// Channel is the control line between the measuring process and its peer:
// the peerproc socketpair, carrying JSON messages, each optionally with file
// descriptors. It is for setup and results, never for the measured traffic.
type Channel struct {
	c       *net.UnixConn
	timeout time.Duration // bound on each Send and Recv
}

// maxMessage bounds a control message; setups and results are tiny.
const maxMessage = 1 << 20

// ErrBadMessage reports a control message that is not what the other side
// should send.
var ErrBadMessage = errors.New("bench: bad control message")

// Send writes v as one JSON message, with fds in the same sendmsg.
func (ch *Channel) Send(v any, fds ...int) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	msg := binary.LittleEndian.AppendUint32(make([]byte, 0, 4+len(body)), uint32(len(body)))
	msg = append(msg, body...)
	ch.c.SetWriteDeadline(time.Now().Add(ch.timeout))
	return sys.SendFds(ch.c, msg, fds...)
}

// Recv reads one message into v; the message must carry no descriptor.
func (ch *Channel) Recv(v any) error {
	_, err := ch.RecvFds(v, 0)
	return err
}

// RecvFds reads one message into v together with at most maxFds
// descriptors, which the caller then owns. It returns io.EOF when the other
// side has closed the channel.
func (ch *Channel) RecvFds(v any, maxFds int) ([]int, error) {
	ch.c.SetReadDeadline(time.Now().Add(ch.timeout))
	var hdr [4]byte
	// Descriptors arrive with the first byte of their message.
	n, fds, err := sys.RecvFds(ch.c, hdr[:], maxFds)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, io.EOF
	}
	fail := func(err error) ([]int, error) {
		sys.CloseAll(fds)
		return nil, err
	}
	if _, err := io.ReadFull(ch.c, hdr[n:]); err != nil {
		return fail(err)
	}
	size := binary.LittleEndian.Uint32(hdr[:])
	if size > maxMessage {
		return fail(fmt.Errorf("%w: %d bytes", ErrBadMessage, size))
	}
	body := make([]byte, size)
	if _, err := io.ReadFull(ch.c, body); err != nil {
		return fail(err)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fail(fmt.Errorf("%w: %v", ErrBadMessage, err))
	}
	return fds, nil
}

// Close closes the channel; the other side's next Recv returns io.EOF.
func (ch *Channel) Close() error { return ch.c.Close() }
