package grpcshm

import (
	"net"

	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/listener"
)

// Listen binds the Unix socket at path and accepts shared-memory
// connections on it, for grpc.Server.Serve and Server.Serve. Connections
// get rings of DefaultRingSize unless their dialer asks for more, as a
// Channel does, up to DirectRingSize: any permitted dialer may have the
// server map up to 16 MiB for its connection (bounded in number by the
// listener's handshake limits and its uid checks). Options set ring sizes
// and their limit, spin budget, allowed peer uids
// (listener.WithConnOptions) and the handshake limits.
func Listen(path string, opts ...listener.Option) (net.Listener, error) {
	defaults := listener.WithConnOptions(conn.WithRingSize(DefaultRingSize), conn.WithMaxRingSize(DirectRingSize))
	opts = append([]listener.Option{defaults}, opts...)
	l, err := listener.Listen(path, opts...)
	if err != nil {
		return nil, err // not a typed nil in an interface
	}
	return l, nil
}
