package grpcshm

import (
	"context"
	"net"
	"net/url"
	"path/filepath"
	"strings"

	"google.golang.org/grpc"

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
func Dialer(ctx context.Context, addr string) (net.Conn, error) {
	return dial(ctx, addr, nil)
}

// NewDialer returns a Dialer whose connections use opts (for instance
// conn.WithSpin for the client side's spin budget; ring sizes are the
// server's choice).
func NewDialer(opts ...conn.Option) func(ctx context.Context, addr string) (net.Conn, error) {
	return func(ctx context.Context, addr string) (net.Conn, error) { return dial(ctx, addr, opts) }
}

func dial(ctx context.Context, addr string, opts []conn.Option) (net.Conn, error) {
	if rest, ok := strings.CutPrefix(addr, "unix://"); ok {
		addr = rest
	} else if rest, ok := strings.CutPrefix(addr, "unix:"); ok {
		addr = rest
	}
	c, err := conn.Dial(ctx, addr, opts...)
	if err != nil {
		return nil, err // not a typed nil in an interface
	}
	return c, nil
}

// NewClient creates a gRPC client for target. A local shared-memory target
// (a path starting with "/", "./" or "../", or a "shm:" URL) gets Dialer,
// Credentials and the windows and buffers of ServerOptions unless opts
// override them, so no option is needed. Any other
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
		grpc.WithContextDialer(Dialer),
		grpc.WithTransportCredentials(Credentials()),
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
	if u, err := url.Parse(target); err == nil && u.Scheme == Scheme {
		return target, true
	}
	return "", false
}
