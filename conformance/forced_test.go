package conformance_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/conformance"
	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/grpcshm"
	"github.com/tachyon-ipc/tachyon-go/internal/peerproc"
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
	path := sockPath(t)
	p, ctl, err := peerproc.StartReady("interop-server", []string{path},
		&peerproc.Options{Env: []string{conn.ForcePlainEnv + "=1"}}, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctl.Close()
		if err := p.Wait(30 * time.Second); err != nil {
			t.Errorf("server: %v", err)
		}
	}()
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
