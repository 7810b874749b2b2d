package grpcshm

import (
	"net"

	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/listener"
)

// Listen binds the Unix socket at path and accepts shared-memory connections
// on it, for grpc.Server.Serve. Connections get rings of DefaultRingSize
// unless opts set another size. Options set ring sizes, spin budget, allowed
// peer uids (listener.WithConnOptions) and the handshake limits.
func Listen(path string, opts ...listener.Option) (net.Listener, error) {
	opts = append([]listener.Option{listener.WithConnOptions(conn.WithRingSize(DefaultRingSize))}, opts...)
	l, err := listener.Listen(path, opts...)
	if err != nil {
		return nil, err // not a typed nil in an interface
	}
	return l, nil
}
