package bus

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/tachyon-ipc/tachyon-go/shmring"
)

// Option configures Listen, Dial and their RPC forms.
type Option func(*config) error

type config struct {
	spin         time.Duration
	spinSet      bool
	publishEvery int      // producer: publish head every this many commits
	uids         []uint32 // peer uids allowed; nil means our own euid
	anyPeer      bool
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

// WithPeerUIDs allows peers running as any of uids (checked with
// SO_PEERCRED on both ends). By default only our own effective uid is
// allowed.
func WithPeerUIDs(uids ...uint32) Option {
	return func(c *config) error {
		if len(uids) == 0 {
			return errors.New("bus: WithPeerUIDs needs at least one uid")
		}
		c.uids = append(c.uids, uids...)
		return nil
	}
}

// WithAnyPeer allows a peer of any uid, as Tachyon itself does. The socket
// file is still created with mode 0600.
func WithAnyPeer() Option {
	return func(c *config) error {
		c.anyPeer = true
		return nil
	}
}

// allowed reports whether a peer running as uid may use the bus.
func (c *config) allowed(uid uint32) bool {
	if c.anyPeer {
		return true
	}
	if c.uids == nil {
		return uid == uint32(os.Geteuid())
	}
	return slices.Contains(c.uids, uid)
}

func (c *config) ringOptions() []shmring.Option {
	if c.spinSet {
		return []shmring.Option{shmring.WithSpin(c.spin)}
	}
	return nil
}
