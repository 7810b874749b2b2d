package conformance_test

import (
	"context"
	"net"
	"testing"

	"github.com/tachyon-ipc/tachyon-go/conformance"
	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/grpcshm"
	"github.com/tachyon-ipc/tachyon-go/listener"
)

// The plain Unix-socket path that every system but Linux takes, run on
// Linux by forcing it (conn.ForcePlainEnv): the same listener, dialer and
// gRPC client, no shared memory.

// forcedTransport is package listener and conn.DialFallback with shared
// memory forced off; every connection must come out plain.
func forcedTransport(t *testing.T) conformance.Transport {
	return conformance.Transport{
		Listen: func() (net.Listener, error) { return listener.Listen(sockPath(t)) },
		Dial: func(ctx context.Context, addr net.Addr) (net.Conn, error) {
			c, err := conn.DialFallback(ctx, addr.String())
			if err == nil && conn.IsSharedMemory(c) {
				t.Errorf("forced-plain dial got shared memory")
			}
			return c, err
		},
	}
}

func TestForcedPlain(t *testing.T) {
	t.Setenv(conn.ForcePlainEnv, "1")
	conformance.Run(t, forcedTransport(t))
}

// TestForcedPlainGRPCCrossProcess: the interop cases against a server in
// another process that cannot set up shared memory, from a client that could
// (it falls back on the server's refusal), then from one that cannot.
func TestForcedPlainGRPCCrossProcess(t *testing.T) {
	path := startInteropServer(t, conn.ForcePlainEnv+"=1")
	for _, forced := range []bool{false, true} {
		if forced {
			t.Setenv(conn.ForcePlainEnv, "1")
		}
		cc, err := grpcshm.NewClient(path)
		if err != nil {
			t.Fatal(err)
		}
		conformance.RunGRPCCases(t, cc)
		cc.Close()
	}
}
