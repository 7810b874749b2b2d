package grpcshm_test

import (
	"context"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/tachyon-ipc/tachyon-go/grpcshm"
	"github.com/tachyon-ipc/tachyon-go/internal/peerproc"
)

func init() { peerproc.Register("watching-client", watchingClientRole) }

// watchingClientRole opens a health Watch stream to the server at args[0],
// reports the first update with one byte on the peerproc socket, and waits
// there to be killed.
func watchingClientRole(args []string) error {
	cc, err := grpcshm.NewClient(args[0])
	if err != nil {
		return err
	}
	defer cc.Close()
	stream, err := healthpb.NewHealthClient(cc).Watch(context.Background(), &healthpb.HealthCheckRequest{})
	if err != nil {
		return err
	}
	if _, err := stream.Recv(); err != nil {
		return err
	}
	ctl, err := peerproc.Announce()
	if err != nil {
		return err
	}
	peerproc.AwaitHangup(ctl) // or killed
	return nil
}

// startPeer starts role with args and waits, bounded, for its ready byte.
// The test's cleanup hangs up and kills the peer; hang up yourself (close
// the returned socket) to let it exit on its own.
func startPeer(t *testing.T, role string, args ...string) (*peerproc.Peer, *net.UnixConn) {
	t.Helper()
	p, ctl, err := peerproc.StartReady(role, args, nil, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctl.Close()
		p.Kill()
	})
	return p, ctl
}

// A client process that dies in the middle of a stream: the server's
// handler sees its context cancelled, and the server drops the connection.
func TestClientProcessDies(t *testing.T) {
	path := sockPath(t)
	lis, err := grpcshm.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	ended := make(chan error, 1)
	s := newHealthServer(grpc.StreamInterceptor(func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
		err := h(srv, ss)
		ended <- ss.Context().Err()
		return err
	}))
	serve(t, s, lis)
	p, _ := startPeer(t, "watching-client", path)
	p.Kill()
	select {
	case err := <-ended:
		if err == nil {
			t.Fatal("Watch ended with its context alive")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the server's stream outlived its client process")
	}
}

// A server process that dies while a client waits on a stream: the client's
// Recv fails with Unavailable, and a new call fails too instead of hanging;
// once a new server listens at the path, the same client reconnects.
func TestServerProcessDies(t *testing.T) {
	path := sockPath(t)
	p, _ := startPeer(t, "health-server", path)
	cc, err := grpcshm.NewClient(path)
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stream, err := healthpb.NewHealthClient(cc).Watch(ctx, &healthpb.HealthCheckRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatal(err)
	}
	p.Kill()
	if _, err := stream.Recv(); status.Code(err) != codes.Unavailable {
		t.Fatalf("Recv after the server died: %v, want Unavailable", err)
	}
	_, err = healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{})
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("Check after the server died: %v, want Unavailable", err)
	}

	// A new server on the same path (its listener replaces the stale
	// socket): the same client reconnects.
	startPeer(t, "health-server", path)
	if _, err := healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{}, grpc.WaitForReady(true)); err != nil {
		t.Fatalf("Check after the server restarted: %v", err)
	}
}
