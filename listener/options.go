package listener

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/tachyon-ipc/tachyon-go/conn"
)

// Defaults.
const (
	// DefaultHandshakeTimeout bounds a client's whole handshake
	// (WithHandshakeTimeout).
	DefaultHandshakeTimeout = 5 * time.Second
	// DefaultMaxHandshakes is how many handshakes may be in progress before
	// the oldest is dropped (WithMaxHandshakes).
	DefaultMaxHandshakes = 1024

	// DefaultServerFirstDelay is how long a client that sends nothing waits
	// before the listener serves it as a plain client (WithServerFirstDelay):
	// a tachyon-go dialer speaks at once, so a client silent this long waits
	// for the server to speak first (SMTP-style protocols, a test's nc -U).
	DefaultServerFirstDelay = conn.DefaultHelloTimeout
)

// Option configures a Listener.
type Option func(*config) error

type config struct {
	connOpts         []conn.Option
	handshakeTimeout time.Duration
	maxHandshakes    int
	logger           *slog.Logger
	plainClients     bool          // WithPlainClients
	serverFirst      time.Duration // WithServerFirstDelay; 0: silent clients are not served
}

// sniffWait is how long the listener waits for a new client's first bytes.
func (c *config) sniffWait() time.Duration {
	if c.serverFirst > 0 {
		return c.serverFirst
	}
	return DefaultServerFirstDelay
}

func newConfig(opts []Option) (config, error) {
	c := config{handshakeTimeout: DefaultHandshakeTimeout, maxHandshakes: DefaultMaxHandshakes,
		plainClients: true, serverFirst: DefaultServerFirstDelay}
	for _, o := range opts {
		if err := o(&c); err != nil {
			return c, err
		}
	}
	return c, nil
}

// WithConnOptions sets the options of every accepted connection: ring
// sizes (the default a dialer gets, conn.WithMaxRingSize for the most it may
// ask for), the hello timeout (conn.WithHelloTimeout), spin budget, allowed
// peer uids.
func WithConnOptions(opts ...conn.Option) Option {
	return func(c *config) error {
		c.connOpts = append(c.connOpts, opts...)
		return nil
	}
}

// WithHandshakeTimeout bounds each client's whole handshake (default 5s); a
// client that takes longer is dropped. Its hello must come much sooner
// (conn.WithHelloTimeout, default 1s).
func WithHandshakeTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("listener: handshake timeout %v must be positive", d)
		}
		c.handshakeTimeout = d
		return nil
	}
}

// WithMaxHandshakes caps the handshakes in progress at once (default 1024).
// A client that arrives at the cap makes the listener drop the oldest
// handshake in progress: one that is still not done after that many newer
// clients arrived is stalling, while a good client finishes within
// microseconds. Each handshake in progress costs a goroutine and a socket;
// before its hello, nothing else.
func WithMaxHandshakes(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("listener: handshake cap %d must be at least 1", n)
		}
		c.maxHandshakes = n
		return nil
	}
}

// WithLogger logs failed handshakes (at level Warn) to l. By default they
// are dropped silently: they never surface from Accept.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		c.logger = l
		return nil
	}
}

// WithPlainClients sets whether clients that are not tachyon-go dialers are
// served as plain Unix-socket connections (default true; see the package
// doc). With false, the listener behaves as a shared-memory-only listener:
// such clients fail their handshake and are dropped (Stats counts them), and
// nothing is peeked at.
func WithPlainClients(on bool) Option {
	return func(c *config) error {
		c.plainClients = on
		return nil
	}
}

// WithServerFirstDelay sets how long a client that sends nothing waits
// before the listener serves it as a plain client, for protocols where the
// server speaks first (default DefaultServerFirstDelay). Such a client, and
// any plain client, is then the application's to bound (http.Server's
// ReadHeaderTimeout, say), as on a plain Unix socket. Zero never serves
// silent clients: they are dropped after DefaultServerFirstDelay and counted
// as NoHello, as on a shared-memory-only listener. Clients that speak first are told apart as soon as their
// first four bytes arrive, whatever this delay.
func WithServerFirstDelay(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return fmt.Errorf("listener: negative server-first delay %v", d)
		}
		c.serverFirst = d
		return nil
	}
}
