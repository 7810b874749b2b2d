package tachyontest

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/tachyon-ipc/tachyon-go/internal/sys"
)

// RPC is Tachyon's RPC bus: requests travel on Fwd (caller → callee),
// replies on Rev (callee → caller), each frame carrying a correlation id at
// header offset 16. Either end of the socket may play either role. It is not
// safe for concurrent use.
type RPC struct {
	Fwd, Rev *Ring

	fwdP *Producer
	fwdC *Consumer
	revP *Producer
	revC *Consumer
	next uint64 // next correlation id; Tachyon starts at 1
}

func newRPC(fwd, rev *Ring) *RPC {
	return &RPC{Fwd: fwd, Rev: rev, next: 1,
		fwdP: NewProducer(fwd), fwdC: NewConsumer(fwd),
		revP: NewProducer(rev), revC: NewConsumer(rev)}
}

// ListenRPC is tachyon_rpc_listen: create both rings and hand them, [fwd,
// rev], to the first peer that connects to path.
func ListenRPC(path string, capFwd, capRev int, deadline time.Time) (*RPC, error) {
	fwd, err := Create(path, capFwd)
	if err != nil {
		return nil, err
	}
	rev, err := Create(path, capRev)
	if err != nil {
		fwd.Close()
		return nil, err
	}
	if err := Listen(path, Hello(capFwd, capRev, true), deadline, fwd.Fd(), rev.Fd()); err != nil {
		fwd.Close()
		rev.Close()
		return nil, err
	}
	return newRPC(fwd, rev), nil
}

// ConnectRPC is tachyon_rpc_connect.
func ConnectRPC(path string, deadline time.Time) (*RPC, error) {
	hello, fds, err := Connect(path, deadline)
	if err != nil {
		return nil, err
	}
	if len(fds) != 2 {
		sys.CloseAll(fds)
		return nil, fmt.Errorf("tachyontest: %d descriptors with an RPC handshake", len(fds))
	}
	if err := checkHello(hello, FlagsRPC); err != nil {
		sys.CloseAll(fds)
		return nil, err
	}
	ne := binary.NativeEndian
	fwd, err := Join(fds[0], int(ne.Uint32(hello[12:])))
	if err != nil {
		sys.Close(fds[1])
		return nil, err
	}
	rev, err := Join(fds[1], int(ne.Uint32(hello[20:])))
	if err != nil {
		fwd.Close()
		return nil, err
	}
	return newRPC(fwd, rev), nil
}

// Close unmaps both rings.
func (b *RPC) Close() error {
	b.Fwd.Close()
	return b.Rev.Close()
}

// Call is tachyon_rpc_call: copy payload into fwd with the next correlation
// id and type_id = msgType (route 0), then flush. Unlike Tachyon, which
// fails at once on a full ring, it spins until deadline.
func (b *RPC) Call(payload []byte, msgType uint32, deadline time.Time) (uint64, error) {
	buf, err := b.fwdP.acquireSpin(len(payload), deadline)
	if err != nil {
		return 0, err
	}
	copy(buf, payload)
	id := b.next
	b.next++
	b.fwdP.CommitRPC(len(payload), msgType, id)
	b.fwdP.Flush()
	return id, nil
}

// Wait is tachyon_rpc_wait: block for the next reply on rev. A reply whose
// correlation id is not id makes the ring fatal, as in Tachyon. The
// returned frame is valid until CommitReply.
func (b *RPC) Wait(id uint64, spins int, deadline time.Time) (Frame, error) {
	f, err := b.revC.AcquireBlocking(true, spins, deadline)
	if err != nil {
		return f, err
	}
	if id != 0 && f.CorrelationID != id {
		b.Rev.SetFatal()
		return f, fmt.Errorf("%w: reply for call %d while waiting for %d", ErrFatal, f.CorrelationID, id)
	}
	return f, nil
}

// CommitReply is tachyon_rpc_commit_rx.
func (b *RPC) CommitReply() { b.revC.Commit() }

// Serve is tachyon_rpc_serve: block for the next request on fwd. The frame
// is valid until CommitServe.
func (b *RPC) Serve(spins int, deadline time.Time) (Frame, error) {
	return b.fwdC.AcquireBlocking(true, spins, deadline)
}

// CommitServe is tachyon_rpc_commit_serve.
func (b *RPC) CommitServe() { b.fwdC.Commit() }

// Reply is tachyon_rpc_reply: copy payload into rev with correlation id id
// and type_id = msgType, then flush. It spins on a full ring until deadline.
func (b *RPC) Reply(id uint64, payload []byte, msgType uint32, deadline time.Time) error {
	if id == 0 {
		return fmt.Errorf("tachyontest: reply with correlation id 0")
	}
	buf, err := b.revP.acquireSpin(len(payload), deadline)
	if err != nil {
		return err
	}
	copy(buf, payload)
	b.revP.CommitRPC(len(payload), msgType, id)
	b.revP.Flush()
	return nil
}
