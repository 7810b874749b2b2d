package bench

import (
	"context"
	"net"
	"path/filepath"
)

// The kernel socket baselines.

// Unix is a Unix stream socket in the run's private directory.
var Unix = NetTransport{
	Name: "unix",
	Listen: func(dir string, _ Params) (net.Listener, error) {
		return net.Listen("unix", filepath.Join(dir, "bench.sock"))
	},
	Dial: func(ctx context.Context, addr string, _ Params) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", addr)
	},
}

// TCP is TCP over the loopback interface (Go sets TCP_NODELAY).
var TCP = NetTransport{
	Name: "tcp",
	Listen: func(string, Params) (net.Listener, error) {
		return net.Listen("tcp", "127.0.0.1:0")
	},
	Dial: func(ctx context.Context, addr string, _ Params) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", addr)
	},
}
