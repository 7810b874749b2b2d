package grpcshm

import (
	"context"
	"net"
	"net/url"
	"path/filepath"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/local"

	"github.com/tachyon-ipc/tachyon-go/conn"
)

// Dialer connects to the shared-memory listener at the socket path addr. It
// is a gRPC context dialer: ctx's cancellation and deadline bound the whole
// connection setup.
//
//	grpc.WithContextDialer(grpcshm.Dialer)
//
// With "shm:" targets addr is the path. gRPC hands a context dialer the
// addresses of "unix:" targets as "unix:///abs/path" or "unix:rel/path";
// Dialer strips that prefix, so those targets work too.
//
// Dialer never falls back: a listener that cannot give shared memory is an
// error (conn.ErrPlainListener, conn.ErrNoSharedMemory). NewClient falls
// back to a plain Unix-socket connection instead.
func Dialer(ctx context.Context, addr string) (net.Conn, error) {
	return dial(ctx, addr, nil, conn.Dial)
}

// NewDialer returns a Dialer whose connections use opts (for instance
// conn.WithSpin for the client side's spin budget; ring sizes are the
// server's choice).
func NewDialer(opts ...conn.Option) func(ctx context.Context, addr string) (net.Conn, error) {
	return func(ctx context.Context, addr string) (net.Conn, error) { return dial(ctx, addr, opts, conn.Dial) }
}

// fallbackDialer is NewClient's dialer: shared memory where the listener and
// this machine allow it, else a plain Unix-socket connection
// (conn.DialFallback).
func fallbackDialer(ctx context.Context, addr string) (net.Conn, error) {
	return dial(ctx, addr, nil, func(ctx context.Context, path string, opts ...conn.Option) (net.Conn, error) {
		return conn.DialFallback(ctx, path, opts...)
	})
}

func dial[C net.Conn](ctx context.Context, addr string, opts []conn.Option,
	dialPath func(context.Context, string, ...conn.Option) (C, error)) (net.Conn, error) {
	if rest, ok := strings.CutPrefix(addr, "unix://"); ok {
		addr = rest
	} else if rest, ok := strings.CutPrefix(addr, "unix:"); ok {
		addr = rest
	}
	c, err := dialPath(ctx, addr, opts...)
	if err != nil {
		return nil, err // not a typed nil in an interface
	}
	return c, nil
}

// NewClient creates a gRPC client for target. A local target (a path
// starting with "/", "./" or "../", a "shm:" URL, or a "unix:" URL such as
// "unix:///run/svc.sock") gets a dialer, credentials and the windows and
// buffers of ServerOptions unless opts override them, so no option is
// needed. Its connections use shared memory when the server is a
// tachyon-go listener (grpcshm.Listen) on a machine that allows it, and
// fall back to a plain Unix-socket connection otherwise (a stock
// grpc.Server on net.Listen("unix", ...), any system but Linux; see
// conn.DialFallback): the peer's address network, "shm" or "unix", says
// which. The credentials are Credentials for shared memory and gRPC's
// local credentials for the plain connections. Any other
// target is passed to grpc.NewClient unchanged with opts alone, so the same
// code reaches a remote replica over TCP; such targets need transport
// credentials in opts, for instance grpc.WithTransportCredentials(
// grpcshm.CredentialsOr(tlsCreds)), which serve both kinds of target.
func NewClient(target string, opts ...grpc.DialOption) (*grpc.ClientConn, error) {
	shmTarget, ok := localTarget(target)
	if !ok {
		return grpc.NewClient(target, opts...)
	}
	all := append([]grpc.DialOption{
		grpc.WithContextDialer(fallbackDialer),
		grpc.WithTransportCredentials(CredentialsOr(local.NewCredentials())),
	}, dialOptions()...)
	all = append(all, opts...)
	return grpc.NewClient(shmTarget, all...)
}

// localTarget reports whether target names a local shared-memory path and
// returns it as a "shm:" target that gRPC's parser leaves intact.
func localTarget(target string) (string, bool) {
	if strings.HasPrefix(target, "/") || strings.HasPrefix(target, "./") || strings.HasPrefix(target, "../") {
		if abs, err := filepath.Abs(target); err == nil {
			target = abs
		}
		return (&url.URL{Scheme: Scheme, Path: target}).String(), true
	}
	u, err := url.Parse(target)
	switch {
	case err != nil:
		return "", false
	case u.Scheme == Scheme:
		return target, true
	case u.Scheme == "unix" && u.Host == "":
		path := u.Path // unix:///abs/path
		if path == "" {
			path = u.Opaque // unix:rel/path
		}
		if abs, err := filepath.Abs(path); err == nil && path != "" {
			return (&url.URL{Scheme: Scheme, Path: abs}).String(), true
		}
	}
	return "", false
}
