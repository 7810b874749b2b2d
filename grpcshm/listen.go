package grpcshm

import (
	"net"

	"github.com/tachyon-ipc/tachyon-go/listener"
)

// Listen binds the Unix socket at path and accepts shared-memory connections
// on it, for grpc.Server.Serve. Options set ring sizes, spin budget, allowed
// peer uids (listener.WithConnOptions) and the handshake limits.
func Listen(path string, opts ...listener.Option) (net.Listener, error) {
	l, err := listener.Listen(path, opts...)
	if err != nil {
		return nil, err // not a typed nil in an interface
	}
	return l, nil
}
