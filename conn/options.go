package conn

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/tachyon-ipc/tachyon-go/internal/peer"
	"github.com/tachyon-ipc/tachyon-go/shmring"
)

// Defaults.
const (
	// DefaultRingSize is the capacity of each direction's ring: 1 MiB, so
	// a connection maps 2 MiB of shared memory. Smaller rings make large
	// writes alternate between a full and an empty ring, paying a park and
	// a wake-up each time (64 KiB writes on the build machines: 3.6-4.5 GB/s
	// with 256 KiB rings, 10-12 GB/s with 1 MiB ones, against 2.5-3.2 GB/s
	// for a Unix socket in the same runs); use WithRingSize
	// for many mostly idle connections.
	DefaultRingSize = 1 << 20

	// DefaultMaxRingSize is the largest ring an accepting side grants a
	// dialer that asks for more (WithMaxRingSize).
	DefaultMaxRingSize = 4 << 20

	// DefaultHelloTimeout is how long an accepting side waits for the
	// client's session hello (WithHelloTimeout): the client speaks first,
	// at once, so a client silent for longer is not a tachyon-go client.
	DefaultHelloTimeout = time.Second

	// DefaultDialTimeout bounds Dial's whole setup when its context has no
	// deadline of its own; a context deadline, earlier or later, replaces
	// it.
	DefaultDialTimeout = 5 * time.Second
)

// Option configures a connection. Ring sizes are negotiated: the dialer
// asks for them (WithRingSize), and the accepting side, which creates the
// rings, grants them within its own limit (WithMaxRingSize), using its own
// WithRingSize for a dialer that asks for nothing.
type Option func(*config) error

type config struct {
	toServer, toClient int           // ring capacities: the dialer's request, the acceptor's default
	sizesSet           bool          // WithRingSize(s) was given
	maxRing            int           // accepting side: WithMaxRingSize; 0: DefaultMaxRingSize or the default size if larger
	helloTimeout       time.Duration // accepting side: WithHelloTimeout
	prefault           bool          // WithPrefault
	protocol           uint32        // WithProtocol; on an accepting side, the dialer's
	spin               time.Duration // shmring spin budget
	peers              peer.Policy   // WithPeerUIDs, WithAnyPeer (peer.go)
	pureSpin           bool          // WithPureSpin
	pureIdle           time.Duration // WithPureSpin
	numaNode           int           // WithNUMANode; -1 leaves placement to the kernel
	futexStage         time.Duration // WithFutexStage
	futexStageSet      bool          // WithFutexStage was given
	probe              time.Duration // DialFallback: WithFallbackProbe; 0 in Dial: no probe
	logger             *slog.Logger  // WithLogger
}

func newConfig(opts []Option) (config, error) {
	c := config{
		toServer: DefaultRingSize, toClient: DefaultRingSize,
		helloTimeout: DefaultHelloTimeout,
		spin:         shmring.DefaultSpin(),
		numaNode:     -1,
	}
	for _, o := range opts {
		if err := o(&c); err != nil {
			return c, err
		}
	}
	return c, nil
}

// ValidateOptions reports the first invalid option, as Dial or Accept would,
// so that a listener can refuse bad options at Listen instead of failing
// every handshake.
func ValidateOptions(opts ...Option) error {
	_, err := newConfig(opts)
	return err
}

// WithRingSize sets the capacity of both rings: a power of two from 4 KiB to
// 1 GiB. A dialer asks the listener for it; an accepting side uses it for
// dialers that ask for nothing (default DefaultRingSize). Conn.RingSizes
// reports what was granted.
func WithRingSize(n int) Option { return WithRingSizes(n, n) }

// WithRingSizes sets the capacities of the client-to-server and
// server-to-client rings separately.
func WithRingSizes(toServer, toClient int) Option {
	return func(c *config) error {
		for _, n := range []int{toServer, toClient} {
			if err := checkRingSize(n); err != nil {
				return err
			}
		}
		c.toServer, c.toClient, c.sizesSet = toServer, toClient, true
		return nil
	}
}

// WithMaxRingSize caps the ring sizes an accepting side grants: a dialer
// that asks for more gets this much, and so does one that asks for nothing
// when the side's WithRingSize is larger. Without it the cap is
// DefaultMaxRingSize, or the side's own WithRingSize if larger.
func WithMaxRingSize(n int) Option {
	return func(c *config) error {
		if err := checkRingSize(n); err != nil {
			return err
		}
		c.maxRing = n
		return nil
	}
}

// grant is the capacity an accepting side gives a ring the dialer asked
// asked bytes for (0: no preference, def).
func (c *config) grant(asked uint32, def int) (int, error) {
	limit := c.maxRing
	if limit == 0 {
		limit = max(DefaultMaxRingSize, def)
	}
	if asked == 0 {
		return min(def, limit), nil
	}
	if err := checkRingSize(int(asked)); err != nil {
		return 0, fmt.Errorf("%w: client asks for a ring of %d bytes: %v", ErrNotSession, asked, err)
	}
	return min(int(asked), limit), nil
}

// WithHelloTimeout sets how long an accepting side waits for the client's
// session hello (default DefaultHelloTimeout). Nothing is allocated for a
// client before its hello arrived; a client silent for longer fails with
// ErrNoHello.
func WithHelloTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("conn: hello timeout %v must be positive", d)
		}
		c.helloTimeout = d
		return nil
	}
}

// WithProtocol names, in the dialer's hello, what the dialer will speak over
// the connection, as TLS's ALPN does: the accepting side reads it from
// Conn.Protocol before it reads a byte, and may serve each protocol its own
// way (grpcshm serves its direct gRPC path and HTTP/2 gRPC on one listener
// this way). 0, the default, means a byte stream of no stated protocol. An
// accepting side ignores the option.
func WithProtocol(p uint32) Option {
	return func(c *config) error {
		c.protocol = p
		return nil
	}
}

// WithPrefault makes this end fault in every page of both rings when the
// connection is set up, so that no call on the hot path takes a first-touch
// page fault. By default pages arrive as the rings are used: an idle
// connection costs a few pages of shared memory, not its full ring sizes.
func WithPrefault() Option {
	return func(c *config) error {
		c.prefault = true
		return nil
	}
}

// MinRingSize and MaxRingSize bound WithRingSize. A connection's ring is at
// least a page, unlike a bare ring (shmring.MinCapacity, the wire format's
// minimum): its memfd is mapped in whole pages anyway, and a smaller ring
// only adds wake-ups to a byte stream.
const (
	MinRingSize = 4 << 10
	MaxRingSize = 1 << 30
)

func checkRingSize(n int) error {
	if n < MinRingSize || n > MaxRingSize || n&(n-1) != 0 {
		return fmt.Errorf("conn: ring size %d must be a power of two from %d to %d", n, MinRingSize, MaxRingSize)
	}
	return nil
}

// WithSpin sets how long a blocked Read or Write spins on the ring before it
// parks (see shmring.WithSpin). Zero never spins: every wait parks, which
// leaves the CPU to other work at the cost of a wake-up per wait.
func WithSpin(d time.Duration) Option {
	return func(c *config) error {
		c.spin = d
		return nonNegative("spin budget", d)
	}
}

// WithFutexStage makes a blocked Read or Write that stops spinning wait
// first on the ring's futex word, for at most d, before it parks in the
// netpoller (see shmring.WithFutexStage): a faster wake-up for
// request/response traffic, at the price of an OS thread held while it
// waits. Off (zero) by default in byte mode: it made gRPC unary calls about
// 10% slower on the 2-vCPU machine this was measured on. Frame mode turns
// it on unless this option was given (see DefaultFramesFutexStage).
func WithFutexStage(d time.Duration) Option {
	return func(c *config) error {
		c.futexStage, c.futexStageSet = d, true
		return nonNegative("futex stage", d)
	}
}

// WithPureSpin puts this end's reading and writing sides in pure-spin mode
// (shmring.WithPureSpin): the peer never makes a system call to wake them,
// and a blocked call polls the ring for up to idle before it naps in slices
// of at most shmring.PureSpinNap. For latency-critical pairs with a core to
// spare each; shmring.NeverNap spins for ever. The peer needs no option.
func WithPureSpin(idle time.Duration) Option {
	return func(c *config) error {
		c.pureSpin, c.pureIdle = true, idle
		return nonNegative("pure-spin idle time", idle)
	}
}

// WithNUMANode places both rings' memory on a NUMA node (see
// shmring.Ring.SetNUMANode). The policy belongs to the shared segment, so
// either end may set it; a node the machine lacks fails the connection with
// an error wrapping shmring.ErrNoNUMANode.
func WithNUMANode(node int) Option {
	return func(c *config) error {
		if node < 0 {
			return fmt.Errorf("conn: NUMA node %d must not be negative", node)
		}
		c.numaNode = node
		return nil
	}
}

// sideOptions are the shmring options both of this end's ring sides share.
func (c *config) sideOptions() []shmring.Option {
	if c.pureSpin {
		return []shmring.Option{shmring.WithPureSpin(c.pureIdle)}
	}
	return []shmring.Option{shmring.WithSpin(c.spin), shmring.WithFutexStage(c.futexStage)}
}

// nonNegative is the error of an option given a negative duration d, what
// the duration is for.
func nonNegative(what string, d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("conn: negative %s %v", what, d)
	}
	return nil
}
