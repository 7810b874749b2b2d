package conn

import "fmt"

// The peer-credential options. Both ends read the other process's
// credentials from the kernel (SO_PEERCRED) before anything is mapped; the
// rule is the same in package bus (internal/peer): by default the peer must
// run as this process's effective uid; the last of WithPeerUIDs and
// WithAnyPeer wins.

// WithPeerUIDs sets the user ids a peer process may run as, replacing the
// default (this process's effective uid, os.Geteuid) or an earlier
// WithAnyPeer. At least one uid is required (WithAnyPeer accepts every
// user).
func WithPeerUIDs(uids ...int) Option {
	return func(c *config) error {
		if err := c.peers.SetUIDs(uids); err != nil {
			return fmt.Errorf("conn: %w", err)
		}
		return nil
	}
}

// WithAnyPeer accepts a peer running as any user. On a socket path the
// file's mode (0600) still limits who can connect; an abstract socket name
// has no file mode, so with WithAnyPeer any local process may connect.
func WithAnyPeer() Option {
	return func(c *config) error {
		c.peers.SetAny()
		return nil
	}
}

// checkPeer applies the uid policy to a peer's credentials.
func (c *config) checkPeer(a *Addr) error {
	if err := c.peers.Check(a.PID, a.UID); err != nil {
		return fmt.Errorf("conn: %w", err)
	}
	return nil
}
