package conn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tachyon-ipc/tachyon-go/internal/sys"
)

// Errors that DialFallback falls back on; compare with errors.Is.
var (
	// ErrPlainListener means the server at the socket path is not a
	// tachyon-go listener: it answered our hello with bytes of another
	// protocol, closed the connection, or stayed silent past the fallback
	// probe (WithFallbackProbe). The error also wraps ErrNotSession.
	ErrPlainListener = errors.New("conn: the socket's server is a plain Unix-socket server, not a tachyon-go listener")

	// ErrNoSharedMemory means shared memory cannot be set up: on this
	// system (not Linux; TACHYON_GO_FORCE_PLAIN=1 in the environment;
	// memfd_create or mmap refused, as a seccomp profile or a hardened
	// container does), or on the listener's side, which said so. It wraps
	// errors.ErrUnsupported.
	ErrNoSharedMemory = fmt.Errorf("conn: shared memory is not available: %w", errors.ErrUnsupported)
)

// ForcePlainEnv names the environment variable that, set to "1", makes this
// process behave as if shared memory were unavailable: Dial fails with
// ErrNoSharedMemory, DialFallback (and so grpcshm and httpshm) connect
// plainly, and a listener refuses tachyon-go hellos with that cause, so that
// their dialers fall back too. Tests use it to run the plain path on Linux.
const ForcePlainEnv = sys.ForcePlainEnv

// DefaultFallbackProbe is how long DialFallback waits for the listener's
// answer to its hello before it takes the server for a plain one that waits
// for a full request (an HTTP server does): a tachyon-go listener answers
// within microseconds.
const DefaultFallbackProbe = 500 * time.Millisecond

// PlainMemory is how long DialFallback remembers that the server at a path
// is a plain Unix-socket server (ErrPlainListener): it then connects plainly
// at once, without a hello the server would take for a request of its own
// protocol and without waiting out the probe again.
const PlainMemory = 10 * time.Second

var (
	// fallbacks counts DialFallback's plain connections, process-wide.
	fallbacks atomic.Uint64

	// plainPaths maps a socket path whose server answered as a plain one
	// to the time.Time until which DialFallback believes it (PlainMemory).
	plainPaths sync.Map
)

// Fallbacks returns how many plain Unix-socket connections DialFallback has
// returned in this process.
func Fallbacks() uint64 { return fallbacks.Load() }

// DialFallback is Dial that falls back to a plain Unix-socket connection
// when shared memory cannot be had: when the server at path is a plain
// Unix-socket server (ErrPlainListener), or when shared memory cannot be
// set up on this machine or the listener's (ErrNoSharedMemory; always so
// off Linux). It then returns the *net.UnixConn of a new connection to path
// (the first one carried our hello), whose RemoteAddr().Network() is
// "unix"; otherwise the *Conn of Dial, network "shm". conn.IsSharedMemory
// tells them apart, WithLogger logs each fallback and Fallbacks counts them.
// A plain server is remembered for PlainMemory: dials to its path in that
// time connect plainly at once.
// Other failures (refused credentials, a timeout of ctx, a listener that
// speaks Tachyon but not the tachyon-go session) are returned as Dial
// returns them.
//
// The plain connection is a *net.UnixConn rather than a *Conn in a plain
// mode: a *Conn always means shared memory (RingSizes, Stats, zero-copy
// frames), and the plain kind is exactly what a dual-stack listener hands
// its Accept for a plain client.
func DialFallback(ctx context.Context, path string, opts ...Option) (net.Conn, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	if cfg.probe == 0 {
		cfg.probe = DefaultFallbackProbe
	}
	ctx, cancel := dialContext(ctx)
	defer cancel()
	err = errRememberedPlain
	if until, ok := plainPaths.Load(path); !ok || time.Now().After(until.(time.Time)) {
		var c *Conn
		if c, err = dial(ctx, path, cfg); err == nil {
			return c, nil
		}
		if !errors.Is(err, ErrPlainListener) && !errors.Is(err, ErrNoSharedMemory) {
			return nil, err
		}
		if errors.Is(err, ErrPlainListener) {
			plainPaths.Store(path, time.Now().Add(PlainMemory))
		}
	}
	var d net.Dialer
	nc, perr := d.DialContext(ctx, "unix", path)
	if perr != nil {
		return nil, perr
	}
	fallbacks.Add(1)
	if cfg.logger != nil {
		cfg.logger.Info("tachyon-go: plain Unix-socket connection instead of shared memory", "path", path, "cause", err)
	}
	return nc, nil
}

// errRememberedPlain is the logged cause of a fallback DialFallback made
// from memory (PlainMemory).
var errRememberedPlain = fmt.Errorf("%w (remembered for %v)", ErrPlainListener, PlainMemory)

// WithFallbackProbe sets how long DialFallback waits for the listener's
// answer to its hello before it takes the server for a plain one (default
// DefaultFallbackProbe). Dial ignores it.
func WithFallbackProbe(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("conn: fallback probe %v must be positive", d)
		}
		c.probe = d
		return nil
	}
}

// WithLogger logs, at level Info, each connection DialFallback makes plain
// instead of shared, with the cause.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		c.logger = l
		return nil
	}
}

// noSharedMemory wraps err, from setting up shared memory on this side, in
// ErrNoSharedMemory when it says the system refuses shared memory rather
// than that the peer misbehaved.
func noSharedMemory(err error) error {
	for _, errno := range []syscall.Errno{syscall.EPERM, syscall.EACCES, syscall.ENOSYS, syscall.ENODEV, syscall.EOPNOTSUPP} {
		if errors.Is(err, errno) {
			return fmt.Errorf("%w: %w", ErrNoSharedMemory, err)
		}
	}
	return err
}

// sharedMemoryHere reports, as an error wrapping ErrNoSharedMemory, why this
// process cannot set up shared memory, or nil.
func sharedMemoryHere() error {
	if err := sys.SharedMemoryAvailable(); err != nil {
		return fmt.Errorf("%w: %w", ErrNoSharedMemory, err)
	}
	return nil
}
