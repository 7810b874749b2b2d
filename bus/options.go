package bus

import (
	"fmt"
	"time"

	"github.com/tachyon-ipc/tachyon-go/internal/peer"
	"github.com/tachyon-ipc/tachyon-go/shmring"
)

// Option configures Listen, Dial and their RPC forms.
type Option func(*config) error

type config struct {
	spin         time.Duration
	spinSet      bool
	publishEvery int         // producer: publish head every this many commits
	peers        peer.Policy // WithPeerUIDs, WithAnyPeer
}

func newConfig(opts []Option) (*config, error) {
	c := &config{publishEvery: 1}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// WithSpin sets how long a blocked Producer, Consumer, Caller or Callee
// polls before it parks on the futex (default shmring.DefaultSpin()).
func WithSpin(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return fmt.Errorf("bus: negative spin %v", d)
		}
		c.spin, c.spinSet = d, true
		return nil
	}
}

// WithPublishEvery makes a Producer publish its head only every n commits,
// as Tachyon's C++ producer does with n = 32 (default 1: after every
// commit). Frames are still published by Flush, before a wait, and shortly
// after the producer goes idle; see shmring.WithPublishEvery.
func WithPublishEvery(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("bus: publish interval %d must be at least 1", n)
		}
		c.publishEvery = n
		return nil
	}
}

// WithPeerUIDs allows peers running as exactly these uids (checked with
// SO_PEERCRED on both ends), replacing the default (this process's
// effective uid, os.Geteuid) or an earlier WithAnyPeer; at least one uid is
// required. The rule and the types are conn.WithPeerUIDs's.
func WithPeerUIDs(uids ...int) Option {
	return func(c *config) error {
		if err := c.peers.SetUIDs(uids); err != nil {
			return fmt.Errorf("bus: %w", err)
		}
		return nil
	}
}

// WithAnyPeer allows a peer of any uid, as Tachyon itself does, replacing
// an earlier WithPeerUIDs. The socket file is still created with mode 0600.
func WithAnyPeer() Option {
	return func(c *config) error {
		c.peers.SetAny()
		return nil
	}
}

func (c *config) ringOptions() []shmring.Option {
	if c.spinSet {
		return []shmring.Option{shmring.WithSpin(c.spin)}
	}
	return nil
}
