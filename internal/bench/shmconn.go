package bench

import (
	"context"
	"net"
	"path/filepath"

	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/listener"
)

// Shm is tachyon-go's net.Conn over a pair of shared-memory rings, accepted
// by a listener on a Unix socket in the run's private directory. Params.Spin
// and Params.Capacity (as the ring size) pass through; zero keeps the
// package defaults.
var Shm = NetTransport{
	Name: "shm",
	Listen: func(dir string, p Params) (net.Listener, error) {
		return listener.Listen(filepath.Join(dir, "shm.sock"), listener.WithConnOptions(connOptions(p)...))
	},
	Dial: func(ctx context.Context, addr string, p Params) (net.Conn, error) {
		return conn.Dial(ctx, addr, connOptions(p)...)
	},
}

func connOptions(p Params) []conn.Option {
	opts := spinOption(p.Spin, conn.WithSpin)
	if p.Capacity > 0 {
		opts = append(opts, conn.WithRingSize(p.Capacity))
	}
	return opts
}
