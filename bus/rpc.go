package bus

import (
	"context"
	"fmt"
	"io"

	"github.com/tachyon-ipc/tachyon-go/internal/handshake"
	"github.com/tachyon-ipc/tachyon-go/internal/sys"
	"github.com/tachyon-ipc/tachyon-go/shmring"
)

// RPCBus is one end of a Tachyon RPC bus: two rings, fwd (caller → callee)
// and rev (callee → caller). Either end may be the Caller or the Callee.
type RPCBus struct {
	fwd, rev *shmring.Ring
	peer     Peer
	cfg      *config
	role     roleSlot
}

// ListenRPC is ListenRPCContext without a context.
func ListenRPC(path string, capFwd, capRev int, opts ...Option) (*RPCBus, error) {
	return ListenRPCContext(context.Background(), path, capFwd, capRev, opts...)
}

// ListenRPCContext creates the fwd and rev rings, listens on path, accepts
// exactly one peer, sends it the RPC handshake (flags 1, memfds [fwd, rev])
// and removes path, as Tachyon's tachyon_rpc_listen does. Tachyon's own
// examples have the callee listen, but either end may call.
func ListenRPCContext(ctx context.Context, path string, capFwd, capRev int, opts ...Option) (*RPCBus, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	fwd, err := shmring.Create(memfdName("rpc-fwd", path), capFwd)
	if err != nil {
		return nil, fmt.Errorf("bus: listen %s: fwd ring: %w", path, err)
	}
	rev, err := shmring.Create(memfdName("rpc-rev", path), capRev)
	if err != nil {
		fwd.Close()
		return nil, fmt.Errorf("bus: listen %s: rev ring: %w", path, err)
	}
	h := handshake.Hello{CapacityFwd: capFwd, CapacityRev: capRev, TwoRing: true}
	peer, err := listenOne(ctx, path, cfg, h, fwd.Fd(), rev.Fd())
	if err != nil {
		fwd.Close()
		rev.Close()
		return nil, err
	}
	return &RPCBus{fwd: fwd, rev: rev, peer: peer, cfg: cfg}, nil
}

// DialRPC connects to the RPC bus listening at path, waiting until a
// listener appears or ctx is done, and maps both rings after checking them
// as Dial does.
func DialRPC(ctx context.Context, path string, opts ...Option) (*RPCBus, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	peer, h, fds, err := dialOne(ctx, path, cfg, true)
	if err != nil {
		return nil, err
	}
	defer sys.CloseAll(fds)
	fwd, err := shmring.Attach(fds[0], h.CapacityFwd)
	if err != nil {
		return nil, fmt.Errorf("bus: dial %s: fwd ring: %w", path, err)
	}
	rev, err := shmring.Attach(fds[1], h.CapacityRev)
	if err != nil {
		fwd.Close()
		return nil, fmt.Errorf("bus: dial %s: rev ring: %w", path, err)
	}
	return &RPCBus{fwd: fwd, rev: rev, peer: peer, cfg: cfg}, nil
}

// Caller opens this end as the caller: it writes requests on fwd and reads
// replies on rev. It fails with ErrRoleTaken if a role is already open.
func (b *RPCBus) Caller() (*Caller, error) {
	var c *Caller
	err := b.role.open(func() (io.Closer, error) {
		req, err := newProducer(b.fwd, b.cfg)
		if err != nil {
			return nil, err
		}
		resp, err := newConsumer(b.rev, b.cfg, true)
		if err != nil {
			req.Close()
			return nil, err
		}
		c = &Caller{req: req, resp: resp, next: 1, due: 1}
		return c, nil
	})
	return c, err
}

// Callee opens this end as the callee: it reads requests on fwd and writes
// replies on rev. It fails with ErrRoleTaken if a role is already open.
func (b *RPCBus) Callee() (*Callee, error) {
	var c *Callee
	err := b.role.open(func() (io.Closer, error) {
		req, err := newConsumer(b.fwd, b.cfg, true)
		if err != nil {
			return nil, err
		}
		resp, err := newProducer(b.rev, b.cfg)
		if err != nil {
			req.Close()
			return nil, err
		}
		c = &Callee{req: req, resp: resp}
		return c, nil
	})
	return c, err
}

// Capacities returns the data capacities of the fwd and rev rings.
func (b *RPCBus) Capacities() (fwd, rev int) { return b.fwd.Capacity(), b.rev.Capacity() }

// Peer returns the credentials of the process at the other end.
func (b *RPCBus) Peer() Peer { return b.peer }

// Close closes the open role and unmaps both rings. A Tachyon peer is not
// told. It must not run while the role is in use in another goroutine.
func (b *RPCBus) Close() error {
	if !b.role.close() {
		return nil
	}
	b.fwd.Close()
	return b.rev.Close()
}
