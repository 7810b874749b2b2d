package grpcshm_test

import (
	"context"
	"io"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/reflection"
	rpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/tachyon-ipc/tachyon-go/conformance"
	"github.com/tachyon-ipc/tachyon-go/grpcshm"
	"github.com/tachyon-ipc/tachyon-go/internal/peerproc"
)

// The direct path with the server in another process.

func init() { peerproc.Register("direct-server", directServerRole) }

// directServerRole serves, on a grpcshm.Server at args[0], the interop
// TestService, the health service and server reflection; its unary calls
// report their caller in trailers (reportPeer) and block until cancelled
// when their metadata holds "x-block". It announces readiness on the
// peerproc socket and serves until that socket closes, then stops.
func directServerRole(args []string) error {
	s := grpcshm.NewServer(grpcshm.WithUnaryServerInterceptors(reportPeer, blockIfAsked))
	conformance.RegisterTestService(s)
	healthpb.RegisterHealthServer(s, health.NewServer())
	reflection.Register(s)
	return serveUntilHangup(args[0], s)
}

// blockIfAsked holds a unary call whose metadata has "x-block" until its
// context ends.
func blockIfAsked(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	if md, _ := metadata.FromIncomingContext(ctx); len(md.Get("x-block")) > 0 {
		<-ctx.Done()
		return nil, status.FromContextError(ctx.Err()).Err()
	}
	return h(ctx, req)
}

// startDirectServer starts directServerRole at path; the test's cleanup
// kills it. Hang up (close the returned socket) to stop it cleanly.
func startDirectServer(t *testing.T, path string) (*peerproc.Peer, func()) {
	t.Helper()
	p, ctl := startPeer(t, "direct-server", path)
	stop := func() {
		t.Helper()
		ctl.Close()
		if err := p.Wait(testTimeout); err != nil {
			t.Errorf("server process: %v", err)
		}
	}
	return p, stop
}

// The interop cases, the health service, server reflection (as grpcurl
// lists and describes services) and the peer's credentials, over a Channel
// to a grpcshm.Server in another process; the server exits cleanly (under
// -race: without a race report) once the client hangs up.
func TestDirectCrossProcess(t *testing.T) {
	path := sockPath(t)
	p, stop := startDirectServer(t, path)
	defer stop()
	ch := newChannel(t, path)
	ctx := testCtx(t)

	t.Run("interop", func(t *testing.T) { conformance.RunGRPCCases(t, ch) })

	t.Run("health", func(t *testing.T) {
		hc := healthpb.NewHealthClient(ch)
		resp, err := hc.Check(ctx, &healthpb.HealthCheckRequest{})
		if err != nil || resp.Status != healthpb.HealthCheckResponse_SERVING {
			t.Fatalf("Check = %v, %v; want SERVING", resp, err)
		}
		_, err = hc.Check(ctx, &healthpb.HealthCheckRequest{Service: "no.such.Service"})
		if status.Code(err) != codes.NotFound {
			t.Errorf("Check of an unknown service: %v, want NotFound", err)
		}
		w, err := hc.Watch(ctx, &healthpb.HealthCheckRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if resp, err := w.Recv(); err != nil || resp.Status != healthpb.HealthCheckResponse_SERVING {
			t.Fatalf("Watch = %v, %v; want SERVING", resp, err)
		}
	})

	t.Run("reflection", func(t *testing.T) {
		stream, err := rpb.NewServerReflectionClient(ch).ServerReflectionInfo(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ask := func(req *rpb.ServerReflectionRequest) *rpb.ServerReflectionResponse {
			t.Helper()
			if err := stream.Send(req); err != nil {
				t.Fatal(err)
			}
			resp, err := stream.Recv()
			if err != nil {
				t.Fatal(err)
			}
			return resp
		}
		// grpcurl list
		resp := ask(&rpb.ServerReflectionRequest{MessageRequest: &rpb.ServerReflectionRequest_ListServices{}})
		var names []string
		for _, s := range resp.GetListServicesResponse().GetService() {
			names = append(names, s.Name)
		}
		slices.Sort(names)
		want := []string{"grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection",
			"grpc.reflection.v1alpha.ServerReflection", "grpc.testing.TestService"}
		if !slices.Equal(names, want) {
			t.Errorf("services %q, want %q", names, want)
		}
		// grpcurl describe grpc.testing.TestService
		resp = ask(&rpb.ServerReflectionRequest{MessageRequest: &rpb.ServerReflectionRequest_FileContainingSymbol{
			FileContainingSymbol: "grpc.testing.TestService"}})
		files := resp.GetFileDescriptorResponse().GetFileDescriptorProto()
		found := false
		for _, b := range files {
			var fd descriptorpb.FileDescriptorProto
			if err := proto.Unmarshal(b, &fd); err != nil {
				t.Fatal(err)
			}
			for _, svc := range fd.Service {
				if fd.GetPackage()+"."+svc.GetName() == "grpc.testing.TestService" && len(svc.Method) >= 6 {
					found = true
				}
			}
		}
		if !found {
			t.Errorf("no descriptor of grpc.testing.TestService among %d files (%v)", len(files), resp.GetErrorResponse())
		}
		stream.CloseSend()
		if _, err := stream.Recv(); err != io.EOF {
			t.Errorf("reflection stream end: %v", err)
		}
	})

	t.Run("peer", func(t *testing.T) {
		var tr metadata.MD
		var sp peer.Peer
		if _, err := testpb.NewTestServiceClient(ch).EmptyCall(ctx, &testpb.Empty{}, grpc.Trailer(&tr), grpc.Peer(&sp)); err != nil {
			t.Fatal(err)
		}
		if got, want := trailer(tr, "peer-pid"), strconv.Itoa(os.Getpid()); got != want {
			t.Errorf("server saw pid %s, want %s", got, want)
		}
		if got, want := trailer(tr, "peer-uid"), strconv.Itoa(os.Getuid()); got != want {
			t.Errorf("server saw uid %s, want %s", got, want)
		}
		if got := trailer(tr, "auth-type"); got != grpcshm.AuthType {
			t.Errorf("server saw auth type %s", got)
		}
		ai, ok := sp.AuthInfo.(grpcshm.AuthInfo)
		if !ok || ai.PID != p.Pid() || ai.UID != os.Getuid() || ai.GID != os.Getgid() {
			t.Errorf("client saw server %+v, want pid %d", sp.AuthInfo, p.Pid())
		}
	})
}

// A server process killed (SIGKILL) with calls in flight: each of them —
// bidi and server streams waiting in Recv, unary calls waiting for their
// response — fails with Unavailable within a second; once a new server
// process listens on the path, the same Channel reconnects and calls
// succeed.
func TestDirectServerKilled(t *testing.T) {
	path := sockPath(t)
	p, _ := startDirectServer(t, path)
	ch := newChannel(t, path)
	tc := testpb.NewTestServiceClient(ch)
	ctx := testCtx(t)

	const each = 4
	var wg sync.WaitGroup
	errs := make(chan error, 3*each)
	ready := make(chan struct{}, 3*each)
	for range each {
		duplex, err := tc.FullDuplexCall(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := duplex.Send(&testpb.StreamingOutputCallRequest{ResponseParameters: sizes(10)}); err != nil {
			t.Fatal(err)
		}
		if _, err := duplex.Recv(); err != nil {
			t.Fatal(err)
		}
		watch, err := healthpb.NewHealthClient(ch).Watch(ctx, &healthpb.HealthCheckRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := watch.Recv(); err != nil {
			t.Fatal(err)
		}
		wg.Add(3)
		go func() {
			defer wg.Done()
			ready <- struct{}{}
			_, err := duplex.Recv()
			errs <- err
		}()
		go func() {
			defer wg.Done()
			ready <- struct{}{}
			_, err := watch.Recv()
			errs <- err
		}()
		go func() {
			defer wg.Done()
			ready <- struct{}{}
			_, err := tc.EmptyCall(metadata.AppendToOutgoingContext(ctx, "x-block", "1"), &testpb.Empty{})
			errs <- err
		}()
	}
	for range 3 * each {
		recvWithin(t, ready, "the callers")
	}
	// The callers are on their way into their waits; the unary calls may
	// not have reached the server yet, which changes nothing: in flight
	// or not, they must fail with Unavailable.
	p.Kill()
	killed := time.Now()
	allDone := make(chan struct{})
	go func() { wg.Wait(); close(allDone) }()
	select {
	case <-allDone:
	case <-time.After(testTimeout):
		t.Fatal("calls in flight outlived the server process")
	}
	if d := time.Since(killed); d > time.Second {
		t.Errorf("calls in flight took %v to fail after the server died, want ≤ 1s", d)
	}
	close(errs)
	for err := range errs {
		if status.Code(err) != codes.Unavailable {
			t.Errorf("call in flight when the server died: %v, want Unavailable", err)
		}
	}

	startDirectServer(t, path)
	if _, err := tc.EmptyCall(ctx, &testpb.Empty{}, grpc.WaitForReady(true)); err != nil {
		t.Fatalf("EmptyCall after the server restarted: %v", err)
	}
	if err := pingPongs(ctx, tc, 0); err != nil {
		t.Fatal(err)
	}
}
