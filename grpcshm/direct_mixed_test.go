package grpcshm_test

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/peer"

	"github.com/tachyon-ipc/tachyon-go/conformance"
	"github.com/tachyon-ipc/tachyon-go/grpcshm"
)

// One Server for every kind of client, and one Channel for every target.

// manyCalls makes calls unary calls from each of workers goroutines, plus
// one ping-pong stream each, on cc; it returns the first error.
func manyCalls(ctx context.Context, cc grpc.ClientConnInterface, workers, calls int) error {
	tc := testpb.NewTestServiceClient(cc)
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range calls {
				n := (w*calls + i) % 3000
				resp, err := tc.UnaryCall(ctx, &testpb.SimpleRequest{ResponseSize: int32(n), Payload: conformance.Payload(n)})
				if err == nil {
					err = conformance.CheckPayload(resp.Payload, n)
				}
				if err != nil {
					errs <- fmt.Errorf("worker %d call %d: %w", w, i, err)
					return
				}
			}
			errs <- pingPongs(ctx, tc, w)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// One grpcshm.Server on one path serves Channel clients (the direct path)
// and NewClient clients (HTTP/2 over shared memory) at once: 128 unary
// calls and 8 streams from each kind, concurrently. The handlers see
// which way each call came.
func TestDirectAndHTTP2Together(t *testing.T) {
	var direct, h2 atomic.Int64
	count := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		// grpc-go's HTTP/2 server puts the peer's transport in ctx; the
		// direct path's transport stream is its own.
		if _, ok := peer.FromContext(ctx); !ok {
			return nil, fmt.Errorf("no peer")
		}
		if grpc.ServerTransportStreamFromContext(ctx) == nil {
			return nil, fmt.Errorf("no transport stream")
		}
		if fmt.Sprintf("%T", grpc.ServerTransportStreamFromContext(ctx)) == "*grpcshm.transportStream" {
			direct.Add(1)
		} else {
			h2.Add(1)
		}
		return h(ctx, req)
	}
	s := grpcshm.NewServer(grpcshm.WithUnaryServerInterceptors(count))
	testpb.RegisterTestServiceServer(s, &hookServer{})
	path := serveServer(t, s)
	ch := newChannel(t, path)
	cc, err := grpcshm.NewClient(path)
	if err != nil {
		t.Fatal(err)
	}
	closeCC(t, cc)

	const workers, calls = 8, 16
	ctx := testCtx(t)
	errs := make(chan error, 2)
	go func() { errs <- manyCalls(ctx, ch, workers, calls) }()
	go func() { errs <- manyCalls(ctx, cc, workers, calls) }()
	for range 2 {
		if err := recvWithin(t, errs, "the clients"); err != nil {
			t.Error(err)
		}
	}
	if d, h := direct.Load(), h2.Load(); d != workers*calls || h != workers*calls {
		t.Errorf("server saw %d direct and %d HTTP/2 unary calls, want %d each", d, h, workers*calls)
	}
}

// A target that is not local gives a Channel backed by a grpc.ClientConn:
// the interop cases against a grpc.Server on TCP loopback, through
// NewChannel with dns:/// and passthrough:/// targets, with the Channel's
// interceptors applied.
func TestDirectRemoteTarget(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	conformance.RegisterTestService(s)
	serve(t, s, lis)
	for _, target := range []string{"dns:///" + lis.Addr().String(), "passthrough:///" + lis.Addr().String()} {
		t.Run(target[:3], func(t *testing.T) {
			var intercepted atomic.Int64
			ch := newChannel(t, target,
				grpcshm.WithGRPCDialOptions(grpc.WithTransportCredentials(insecure.NewCredentials())),
				grpcshm.WithUnaryInterceptors(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
					intercepted.Add(1)
					return invoker(ctx, method, req, reply, cc, opts...)
				}))
			var sp peer.Peer
			if _, err := testpb.NewTestServiceClient(ch).EmptyCall(testCtx(t), &testpb.Empty{}, grpc.Peer(&sp)); err != nil {
				t.Fatal(err)
			}
			if _, ok := sp.Addr.(*net.TCPAddr); !ok {
				t.Errorf("call went over %T, want TCP", sp.Addr)
			}
			if intercepted.Load() != 1 {
				t.Errorf("interceptor ran %d times, want 1", intercepted.Load())
			}
			conformance.RunGRPCCases(t, ch)
		})
	}
}
