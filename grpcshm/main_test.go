package grpcshm_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	"github.com/tachyon-ipc/tachyon-go/grpcshm"
	"github.com/tachyon-ipc/tachyon-go/internal/peerproc"
)

func TestMain(m *testing.M) {
	peerproc.Run()
	os.Exit(m.Run())
}

func init() { peerproc.Register("health-server", healthServerRole) }

// healthServerRole serves the health service over shared memory at args[0]
// with the shm credentials, reports readiness with one byte on the peerproc
// socket and serves until that socket closes.
func healthServerRole(args []string) error {
	return serveUntilHangup(args[0], newHealthServer(grpc.Creds(grpcshm.Credentials())))
}

// server is what the peer roles serve: a *grpc.Server or a *grpcshm.Server.
type server interface {
	Serve(net.Listener) error
	Stop()
}

// serveUntilHangup serves s on grpcshm.Listen(path), announces readiness on
// the peerproc socket, and serves until that socket closes; then it stops s
// and returns what Serve returned.
func serveUntilHangup(path string, s server) error {
	lis, err := grpcshm.Listen(path)
	if err != nil {
		return err
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(lis) }()
	ctl, err := peerproc.Announce()
	if err == nil {
		peerproc.AwaitHangup(ctl)
	}
	s.Stop()
	return errors.Join(err, <-served)
}

// newHealthServer returns a gRPC server with the health service whose
// unary calls report, in trailers, what the server knows of their caller.
func newHealthServer(opts ...grpc.ServerOption) *grpc.Server {
	s := grpc.NewServer(append(opts, grpc.UnaryInterceptor(reportPeer))...)
	healthpb.RegisterHealthServer(s, health.NewServer())
	return s
}

// reportPeer sets trailers "auth-type", "peer-pid", "peer-uid".
func reportPeer(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	md := metadata.Pairs("auth-type", "none")
	if p, ok := peer.FromContext(ctx); ok && p.AuthInfo != nil {
		md.Set("auth-type", p.AuthInfo.AuthType())
	}
	if ai, ok := grpcshm.PeerFromContext(ctx); ok {
		md.Set("peer-pid", strconv.Itoa(ai.PID))
		md.Set("peer-uid", strconv.Itoa(ai.UID))
		md.Set("security-level", ai.SecurityLevel.String())
	}
	grpc.SetTrailer(ctx, md)
	return h(ctx, req)
}

// check calls Health.Check on cc and returns the trailer and the client's
// view of the server.
func check(t *testing.T, cc *grpc.ClientConn) (metadata.MD, *peer.Peer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var tr metadata.MD
	var p peer.Peer
	resp, err := healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{}, grpc.Trailer(&tr), grpc.Peer(&p))
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if resp.Status != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("Check: status %v", resp.Status)
	}
	return tr, &p
}

func trailer(md metadata.MD, key string) string {
	if v := md.Get(key); len(v) == 1 {
		return v[0]
	}
	return fmt.Sprintf("<%d values>", len(md.Get(key)))
}

// sockPath returns a fresh socket path short enough for sun_path.
func sockPath(t testing.TB) string {
	dir, err := os.MkdirTemp("", "grpcshm")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "s")
}

// serve runs s on lis until the test ends.
func serve(t testing.TB, s *grpc.Server, lis net.Listener) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- s.Serve(lis) }()
	t.Cleanup(func() {
		s.Stop()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
}

func closeCC(t testing.TB, cc *grpc.ClientConn) {
	t.Cleanup(func() { cc.Close() })
}

var insecureCreds = grpc.WithTransportCredentials(insecure.NewCredentials())
