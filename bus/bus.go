package bus

import (
	"context"
	"fmt"
	"io"

	"github.com/tachyon-ipc/tachyon-go/internal/handshake"
	"github.com/tachyon-ipc/tachyon-go/internal/sys"
	"github.com/tachyon-ipc/tachyon-go/shmring"
)

// Bus is one end of a Tachyon plain bus: one ring, on which this end plays
// one role, Producer or Consumer.
type Bus struct {
	ring *shmring.Ring
	peer Peer
	cfg  *config
	role roleSlot
}

// memfdName names a segment after its socket, as Tachyon does, with a prefix
// that tells observers such as tachyon-top whose it is.
func memfdName(kind, path string) string {
	const max = 249 // memfd_create's limit
	name := "tachyon-" + kind + ":" + path
	if len(name) > max {
		name = name[:max]
	}
	return name
}

// Listen is ListenContext without a context: it waits for a peer for as long
// as it takes.
func Listen(path string, capacity int, opts ...Option) (*Bus, error) {
	return ListenContext(context.Background(), path, capacity, opts...)
}

// ListenContext creates a ring of the given capacity (a power of two, 64 to
// 2^31 bytes) in a sealed memfd, listens on the Unix socket path, accepts
// exactly one peer, sends it the plain-bus handshake (flags 0, one memfd),
// then closes the socket and removes path, as Tachyon's tachyon_bus_listen
// does. A stale socket at path is removed first; anything else there is
// left alone (ErrPathInUse). It gives up when ctx is done.
func ListenContext(ctx context.Context, path string, capacity int, opts ...Option) (*Bus, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	r, err := shmring.Create(memfdName("bus", path), capacity)
	if err != nil {
		return nil, fmt.Errorf("bus: listen %s: %w", path, err)
	}
	peer, err := listenOne(ctx, path, cfg, handshake.Hello{CapacityFwd: capacity}, r.Fd())
	if err != nil {
		r.Close()
		return nil, err
	}
	return &Bus{ring: r, peer: peer, cfg: cfg}, nil
}

// Dial connects to the plain bus listening at path, waiting until a listener
// appears or ctx is done, receives the handshake and the ring, checks them
// (magic, version 4, alignment 64, flags 0, a sealed memfd of exactly the
// stated size, a valid control block) and maps the ring.
func Dial(ctx context.Context, path string, opts ...Option) (*Bus, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	peer, h, fds, err := dialOne(ctx, path, cfg, false)
	if err != nil {
		return nil, err
	}
	defer sys.CloseAll(fds)
	r, err := shmring.Attach(fds[0], h.CapacityFwd)
	if err != nil {
		return nil, fmt.Errorf("bus: dial %s: %w", path, err)
	}
	return &Bus{ring: r, peer: peer, cfg: cfg}, nil
}

// Producer opens this end as the bus's producer. It fails with ErrRoleTaken
// if a role is already open, and with a *FrameLimitError if the ring is too
// small for a Tachyon consumer to carry any frame (below 2048 bytes).
func (b *Bus) Producer() (*Producer, error) {
	if m := TachyonMaxPayload(b.ring.Capacity()); m < 0 {
		return nil, &FrameLimitError{Size: 0, Max: m, Capacity: b.ring.Capacity(), Need: CapacityFor(0)}
	}
	var p *Producer
	err := b.role.open(func() (io.Closer, error) {
		var err error
		p, err = newProducer(b.ring, b.cfg)
		return p, err
	})
	return p, err
}

// Consumer opens this end as the bus's consumer. It fails with ErrRoleTaken
// if a role is already open.
func (b *Bus) Consumer() (*Consumer, error) {
	var c *Consumer
	err := b.role.open(func() (io.Closer, error) {
		var err error
		c, err = newConsumer(b.ring, b.cfg, false)
		return c, err
	})
	return c, err
}

// Capacity returns the ring's data capacity in bytes.
func (b *Bus) Capacity() int { return b.ring.Capacity() }

// Peer returns the credentials of the process at the other end.
func (b *Bus) Peer() Peer { return b.peer }

// State returns the ring's state word; shmring.StateFatal means one side
// found the ring corrupt.
func (b *Bus) State() shmring.State { return b.ring.State() }

// Close closes the open role (a Producer publishes what it committed) and
// unmaps the ring. A Tachyon peer is not told: Tachyon has no close signal.
// Like the role's own Close it must not run while the role is in use in
// another goroutine: cancel a blocked call's context first.
func (b *Bus) Close() error {
	if !b.role.close() {
		return nil
	}
	return b.ring.Close()
}
