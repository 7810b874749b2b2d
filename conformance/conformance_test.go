package conformance_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/local"

	"github.com/tachyon-ipc/tachyon-go/conformance"
	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/grpcshm"
	"github.com/tachyon-ipc/tachyon-go/internal/peerproc"
	"github.com/tachyon-ipc/tachyon-go/listener"
)

func TestMain(m *testing.M) {
	peerproc.Run()
	os.Exit(m.Run())
}

// sockPath returns a fresh socket path short enough for sun_path.
func sockPath(t testing.TB) string {
	dir, err := os.MkdirTemp("", "conf")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "s")
}

// shmTransport is ours: package listener and conn.Dial.
func shmTransport(t *testing.T, opts ...conn.Option) conformance.Transport {
	return conformance.Transport{
		Listen: func() (net.Listener, error) {
			return listener.Listen(sockPath(t), listener.WithConnOptions(opts...))
		},
		Dial: func(ctx context.Context, addr net.Addr) (net.Conn, error) {
			return grpcshm.NewDialer(opts...)(ctx, addr.String())
		},
	}
}

// unixTransport is the kernel's Unix stream socket: the suite must pass
// over it too, or the suite is wrong.
func unixTransport(t *testing.T) conformance.Transport {
	return conformance.Transport{
		Listen: func() (net.Listener, error) { return net.Listen("unix", sockPath(t)) },
		Dial: func(ctx context.Context, addr net.Addr) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", addr.String())
		},
	}
}

func TestShm(t *testing.T) { conformance.Run(t, shmTransport(t)) }

// Small rings that never spin: every message larger than a quarter of the
// ring is split, and every wait parks.
func TestShmSmallRing(t *testing.T) {
	conformance.Run(t, shmTransport(t, conn.WithRingSize(conn.MinRingSize), conn.WithSpin(0)))
}

func TestUnix(t *testing.T) { conformance.Run(t, unixTransport(t)) }

func init() { peerproc.Register("interop-server", interopServerRole) }

// interopServerRole serves the interop TestService at args[0] (shared
// memory, and plain Unix-socket clients with gRPC's local credentials),
// reports readiness with one byte on the peerproc socket and serves until
// that socket closes.
func interopServerRole(args []string) error {
	lis, err := grpcshm.Listen(args[0])
	if err != nil {
		return err
	}
	s := grpc.NewServer(grpc.Creds(grpcshm.CredentialsOr(local.NewCredentials())))
	conformance.RegisterTestService(s)
	go s.Serve(lis)
	defer s.Stop()
	ctl, err := peerproc.Announce()
	if err != nil {
		return err
	}
	peerproc.AwaitHangup(ctl)
	return nil
}

// The interop cases with the server in another process.
func TestGRPCCrossProcess(t *testing.T) {
	path := startInteropServer(t)
	cc, err := grpcshm.NewClient(path)
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	conformance.RunGRPCCases(t, cc)
}

// startInteropServer starts the interop server in another process, with env
// added to its environment, at a fresh socket path it returns. When the test
// ends it hangs up and waits, bounded, for the server to exit cleanly.
func startInteropServer(t *testing.T, env ...string) string {
	t.Helper()
	path := sockPath(t)
	p, ctl, err := peerproc.StartReady("interop-server", []string{path}, &peerproc.Options{Env: env}, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctl.Close()
		if err := p.Wait(30 * time.Second); err != nil {
			t.Errorf("server: %v", err)
		}
	})
	return path
}
