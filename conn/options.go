package conn

import (
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/tachyon-ipc/tachyon-go/shmring"
)

// Defaults.
const (
	// DefaultRingSize is the capacity of each direction's ring: 256 KiB, so
	// a connection maps 512 KiB of shared memory.
	DefaultRingSize = 256 << 10
)

// Option configures a connection. Ring sizes are chosen by the accepting
// side (it creates the rings); a dialer ignores them.
type Option func(*config) error

type config struct {
	toServer, toClient int           // ring capacities
	spin               time.Duration // shmring spin budget
	anyPeer            bool
	peerUIDs           []int
}

func newConfig(opts []Option) (config, error) {
	c := config{
		toServer: DefaultRingSize, toClient: DefaultRingSize,
		spin:     shmring.DefaultSpin(),
		peerUIDs: []int{os.Getuid()},
	}
	for _, o := range opts {
		if err := o(&c); err != nil {
			return c, err
		}
	}
	return c, nil
}

// WithRingSize sets the capacity of both rings: a power of two from 4 KiB to
// 1 GiB. Used by the accepting side, which creates the rings.
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
		c.toServer, c.toClient = toServer, toClient
		return nil
	}
}

// MinRingSize and MaxRingSize bound WithRingSize.
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
		if d < 0 {
			return fmt.Errorf("conn: negative spin budget %v", d)
		}
		c.spin = d
		return nil
	}
}

// WithPeerUIDs sets the user ids a peer process may run as. The default is
// this process's own uid only.
func WithPeerUIDs(uids ...int) Option {
	return func(c *config) error {
		c.peerUIDs = slices.Clone(uids)
		c.anyPeer = false
		return nil
	}
}

// WithAnyPeer accepts a peer running as any user. The socket's file mode
// (0600) still limits who can connect.
func WithAnyPeer() Option {
	return func(c *config) error {
		c.anyPeer = true
		return nil
	}
}

// checkPeer applies the uid policy to a peer's credentials.
func (c *config) checkPeer(peer *Addr) error {
	if c.anyPeer || slices.Contains(c.peerUIDs, peer.UID) {
		return nil
	}
	return fmt.Errorf("%w: peer pid %d runs as uid %d, allowed %v", ErrPeerRefused, peer.PID, peer.UID, c.peerUIDs)
}
