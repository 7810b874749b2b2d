package conn

import (
	"context"
	"errors"
	"net"
)

// Dial connects to a tachyon-go listener at the Unix socket path and sets up
// a shared-memory connection. ctx bounds the whole setup, handshake
// included; without a deadline of its own, DefaultDialTimeout does. Once
// Dial returns, ctx no longer matters.
//
// Dial checks the listener's credentials (by default it must run as our own
// uid), the handshake, the seals and sizes of the ring memfds and the
// doorbells before it maps anything. Where shared memory cannot be had, the
// error wraps ErrPlainListener (the server at path is not a tachyon-go
// listener) or ErrNoSharedMemory (always so off Linux); DialFallback then
// connects plainly instead.
func Dial(ctx context.Context, path string, opts ...Option) (*Conn, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	ctx, cancel := dialContext(ctx)
	defer cancel()
	return dial(ctx, path, cfg)
}

// dialContext gives ctx DefaultDialTimeout unless it has a deadline.
func dialContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, DefaultDialTimeout)
}

// dial is Dial with its options parsed and ctx bounded.
func dial(ctx context.Context, path string, cfg config) (*Conn, error) {
	if err := sharedMemoryHere(); err != nil {
		return nil, dialError(path, err)
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, dialError(path, err)
	}
	c, err := runHandshake(ctx, nc.(*net.UnixConn), path, dialHandshake, endpoint{server: false, cfg: cfg})
	if err != nil {
		return nil, dialError(path, err)
	}
	return c, nil
}

func dialError(path string, err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		op.Net = Network
		return op
	}
	return &net.OpError{Op: "dial", Net: Network, Addr: &Addr{Path: path}, Err: err}
}

// Accept runs the accepting side of the handshake on a Unix connection a
// listener has just accepted: it checks the peer's credentials, creates the
// rings and doorbells, sends them, and waits for the acknowledgement. ctx
// bounds the handshake. The connection is consumed, also on error. Package
// listener calls it for every client; call it yourself to serve on a Unix
// listener of your own.
func Accept(ctx context.Context, uc *net.UnixConn, path string, opts ...Option) (*Conn, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		uc.Close()
		return nil, err
	}
	return runHandshake(ctx, uc, path, acceptHandshake, endpoint{server: true, cfg: cfg})
}
