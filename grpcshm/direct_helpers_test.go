package grpcshm_test

import (
	"context"
	"io"
	"testing"
	"time"

	"google.golang.org/grpc"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/tachyon-ipc/tachyon-go/conformance"
	"github.com/tachyon-ipc/tachyon-go/grpcshm"
	"github.com/tachyon-ipc/tachyon-go/listener"
)

// Helpers shared by the direct-path tests.

// testTimeout bounds every wait of the direct-path tests.
const testTimeout = 30 * time.Second

// hookServer is the interop TestService with handlers a test replaces: a
// nil hook falls back to a plain behaviour (UnaryCall and FullDuplexCall
// answer with payloads of the requested sizes, StreamingInputCall counts
// the request bytes, EmptyCall answers at once).
type hookServer struct {
	testpb.UnimplementedTestServiceServer
	unary  func(ctx context.Context, req *testpb.SimpleRequest) (*testpb.SimpleResponse, error)
	duplex func(stream testpb.TestService_FullDuplexCallServer) error
	input  func(stream testpb.TestService_StreamingInputCallServer) error
}

func (h *hookServer) EmptyCall(context.Context, *testpb.Empty) (*testpb.Empty, error) {
	return &testpb.Empty{}, nil
}

func (h *hookServer) UnaryCall(ctx context.Context, req *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	if h.unary != nil {
		return h.unary(ctx, req)
	}
	return &testpb.SimpleResponse{Payload: conformance.Payload(int(req.ResponseSize))}, nil
}

func (h *hookServer) FullDuplexCall(stream testpb.TestService_FullDuplexCallServer) error {
	if h.duplex != nil {
		return h.duplex(stream)
	}
	return echoDuplex(stream)
}

func (h *hookServer) StreamingInputCall(stream testpb.TestService_StreamingInputCallServer) error {
	if h.input != nil {
		return h.input(stream)
	}
	total := 0
	for {
		req, err := stream.Recv()
		if err == io.EOF {
			return stream.SendAndClose(&testpb.StreamingInputCallResponse{AggregatedPayloadSize: int32(total)})
		}
		if err != nil {
			return err
		}
		total += len(req.GetPayload().GetBody())
	}
}

// echoDuplex answers each request of a FullDuplexCall with one response
// per response parameter, of the size it asks for, until the client
// half-closes.
func echoDuplex(stream testpb.TestService_FullDuplexCallServer) error {
	for {
		req, err := stream.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		for _, p := range req.ResponseParameters {
			if err := stream.Send(&testpb.StreamingOutputCallResponse{Payload: conformance.Payload(int(p.Size))}); err != nil {
				return err
			}
		}
	}
}

// sizes returns response parameters asking for responses of these sizes.
func sizes(n ...int) []*testpb.ResponseParameters {
	ps := make([]*testpb.ResponseParameters, len(n))
	for i, s := range n {
		ps[i] = &testpb.ResponseParameters{Size: int32(s)}
	}
	return ps
}

// serveServer listens at a fresh path with lopts and serves s there until
// the test ends (Stop, then Serve must return nil, bounded); it returns
// the path.
func serveServer(t testing.TB, s *grpcshm.Server, lopts ...listener.Option) string {
	t.Helper()
	path := sockPath(t)
	lis, err := grpcshm.Listen(path, lopts...)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(lis) }()
	t.Cleanup(func() {
		s.Stop()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(testTimeout):
			t.Error("Serve did not return after Stop")
		}
	})
	return path
}

// serveHooks serves h on a new grpcshm.Server with sopts, and returns the
// server and a Channel with copts to it; all end with the test.
func serveHooks(t testing.TB, h *hookServer, sopts []grpcshm.ServerOption, copts ...grpcshm.ChannelOption) (*grpcshm.Server, *grpcshm.Channel) {
	t.Helper()
	s := grpcshm.NewServer(sopts...)
	testpb.RegisterTestServiceServer(s, h)
	path := serveServer(t, s)
	return s, newChannel(t, path, copts...)
}

// newChannel returns a Channel to target that closes when the test ends.
func newChannel(t testing.TB, target string, opts ...grpcshm.ChannelOption) *grpcshm.Channel {
	t.Helper()
	ch, err := grpcshm.NewChannel(target, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ch.Close() })
	return ch
}

// testCtx returns a context bounded by testTimeout that ends with the test.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// recvWithin receives from c, failing the test if nothing comes within
// testTimeout.
func recvWithin[T any](t testing.TB, c <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(testTimeout):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

var _ grpc.ServiceRegistrar = (*grpcshm.Server)(nil)
