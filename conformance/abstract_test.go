package conformance_test

import (
	"context"
	"net"
	"testing"

	"github.com/tachyon-ipc/tachyon-go/conformance"
	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/listener"
)

// TestShmAbstract runs the suite over the socket-path-free pair: a
// listener on a fresh Linux abstract name (listener.ListenAbstract) and
// conn.Dial to its address.
func TestShmAbstract(t *testing.T) {
	conformance.Run(t, conformance.Transport{
		Listen: func() (net.Listener, error) { return listener.ListenAbstract() },
		Dial: func(ctx context.Context, addr net.Addr) (net.Conn, error) {
			c, err := conn.Dial(ctx, addr.String())
			if err != nil {
				return nil, err
			}
			return c, nil
		},
	})
}
