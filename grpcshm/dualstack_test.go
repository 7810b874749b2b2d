package grpcshm_test

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/peer"

	"github.com/tachyon-ipc/tachyon-go/grpcshm"
	"github.com/tachyon-ipc/tachyon-go/internal/peerproc"
)

// dualCalls is how many health checks each client makes.
const dualCalls = 100

func init() { peerproc.Register("dual-health-server", dualHealthServerRole) }

// dualHealthServerRole serves the health service with a stock
// grpc.NewServer() (no credentials) on grpcshm.Listen at args[0], until the
// peerproc socket closes.
func dualHealthServerRole(args []string) error {
	return serveUntilHangup(args[0], newHealthServer())
}

// TestPlainAndShmClientsAtOnce: one grpc.Server on one grpcshm.Listen path,
// in another process, answers a stock grpc.NewClient("unix:///path") over
// the Unix socket and grpcshm.NewClient over shared memory, both at once.
func TestPlainAndShmClientsAtOnce(t *testing.T) {
	path := sockPath(t)
	startPeer(t, "dual-health-server", path)
	plain, err := grpc.NewClient("unix://"+path, insecureCreds)
	if err != nil {
		t.Fatal(err)
	}
	closeCC(t, plain)
	shm, err := grpcshm.NewClient(path)
	if err != nil {
		t.Fatal(err)
	}
	closeCC(t, shm)

	var wg sync.WaitGroup
	for cc, network := range map[*grpc.ClientConn]string{plain: "unix", shm: "shm"} {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			hc := healthpb.NewHealthClient(cc)
			for i := range dualCalls {
				var p peer.Peer
				resp, err := hc.Check(ctx, &healthpb.HealthCheckRequest{}, grpc.Peer(&p))
				if err != nil || resp.Status != healthpb.HealthCheckResponse_SERVING {
					t.Errorf("%s client, call %d: %v, %v", network, i, resp, err)
					return
				}
				if got := p.Addr.Network(); got != network {
					t.Errorf("%s client, call %d: peer network %q", network, i, got)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestNewClientUnixTarget: grpcshm.NewClient("unix:///path") gets shared
// memory from grpcshm.Listen and falls back to the Unix socket for a stock
// grpc.Server on net.Listen("unix", path).
func TestNewClientUnixTarget(t *testing.T) {
	shmPath, plainPath := sockPath(t), sockPath(t)
	shmLis, err := grpcshm.Listen(shmPath)
	if err != nil {
		t.Fatal(err)
	}
	serve(t, newHealthServer(), shmLis)
	plainLis, err := net.Listen("unix", plainPath)
	if err != nil {
		t.Fatal(err)
	}
	serve(t, newHealthServer(), plainLis)
	for path, network := range map[string]string{shmPath: "shm", plainPath: "unix"} {
		cc, err := grpcshm.NewClient("unix://" + path)
		if err != nil {
			t.Fatal(err)
		}
		closeCC(t, cc)
		_, p := check(t, cc)
		if got := p.Addr.Network(); got != network {
			t.Errorf("NewClient(unix://%s): connection over %q, want %q", path, got, network)
		}
	}
}
