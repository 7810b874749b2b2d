package conformance

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// RunGRPC serves RegisterTestService on a listener from tr in this process
// and runs RunGRPCCases over a client that dials with tr. Both sides use
// insecure credentials.
func RunGRPC(t *testing.T, tr Transport) {
	lis := listen(t, tr)
	s := grpc.NewServer()
	RegisterTestService(s)
	serveGRPC(t, s, lis)
	cc := dialGRPC(t, tr, lis)
	RunGRPCCases(t, cc)
}

// serveGRPC runs s on lis until the test ends, then checks that Serve
// returns nil after Stop.
func serveGRPC(t testing.TB, s *grpc.Server, lis net.Listener) {
	done := make(chan error, 1)
	go func() { done <- s.Serve(lis) }()
	t.Cleanup(func() {
		s.Stop()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("grpc.Server.Serve after Stop: %v", err)
			}
		case <-time.After(waitLimit):
			t.Error("grpc.Server.Serve did not return after Stop")
		}
	})
}

// dialGRPC returns a client of lis dialling with tr, closed when the test
// ends.
func dialGRPC(t testing.TB, tr Transport, lis net.Listener) *grpc.ClientConn {
	t.Helper()
	cc, err := newGRPCClient(tr, lis)
	if err != nil {
		t.Fatalf("grpc.NewClient: %v", err)
	}
	t.Cleanup(func() { cc.Close() })
	return cc
}

// newGRPCClient returns a client of lis dialling with tr, with insecure
// credentials.
func newGRPCClient(tr Transport, lis net.Listener) (*grpc.ClientConn, error) {
	return grpc.NewClient("passthrough:///conformance",
		grpc.WithContextDialer(dialer(tr, lis)),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
}

// grpcCall is what an interop case gets: a bounded context and clients.
type grpcCall struct {
	ctx context.Context
	tc  testpb.TestServiceClient
	cc  grpc.ClientConnInterface
}

// grpcCases are the interop cases in the order RunGRPCCases runs them.
var grpcCases = []struct {
	name string
	run  func(t *testing.T, c grpcCall)
}{
	{"EmptyUnary", emptyUnary},
	{"LargeUnary", largeUnary},
	{"ClientStreaming", clientStreaming},
	{"ServerStreaming", serverStreaming},
	{"PingPong", pingPong},
	{"EmptyStream", emptyStream},
	{"TimeoutOnSleepingServer", timeoutOnSleepingServer},
	{"CancelAfterBegin", cancelAfterBegin},
	{"CancelAfterFirstResponse", cancelAfterFirstResponse},
	{"CustomMetadata", customMetadata},
	{"StatusCodeAndMessage", statusCodeAndMessage},
	{"SpecialStatusMessage", specialStatusMessage},
	{"UnimplementedMethod", unimplementedMethod},
	{"UnimplementedService", unimplementedService},
}

// RunGRPCCases runs every gRPC interop case as a subtest against the
// TestService (RegisterTestService) behind cc, which may live in another
// process.
func RunGRPCCases(t *testing.T, cc grpc.ClientConnInterface) {
	tc := testpb.NewTestServiceClient(cc)
	for _, c := range grpcCases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
			defer cancel()
			c.run(t, grpcCall{ctx: ctx, tc: tc, cc: cc})
		})
	}
}

func emptyUnary(t *testing.T, c grpcCall) {
	ctx, tc := c.ctx, c.tc
	reply, err := tc.EmptyCall(ctx, &testpb.Empty{})
	if err != nil || reply == nil {
		t.Fatalf("EmptyCall = %v, %v", reply, err)
	}
}

func largeUnary(t *testing.T, c grpcCall) {
	ctx, tc := c.ctx, c.tc
	req := &testpb.SimpleRequest{
		ResponseType: testpb.PayloadType_COMPRESSABLE,
		ResponseSize: largeRespSize,
		Payload:      Payload(largeReqSize),
	}
	reply, err := tc.UnaryCall(ctx, req)
	if err != nil {
		t.Fatalf("UnaryCall: %v", err)
	}
	if err := CheckPayload(reply.Payload, largeRespSize); err != nil {
		t.Fatalf("UnaryCall reply: %v", err)
	}
}

func clientStreaming(t *testing.T, c grpcCall) {
	ctx, tc := c.ctx, c.tc
	stream, err := tc.StreamingInputCall(ctx)
	if err != nil {
		t.Fatalf("StreamingInputCall: %v", err)
	}
	sum := 0
	for _, n := range reqSizes {
		if err := stream.Send(&testpb.StreamingInputCallRequest{Payload: Payload(n)}); err != nil {
			t.Fatalf("Send: %v", err)
		}
		sum += n
	}
	reply, err := stream.CloseAndRecv()
	if err != nil {
		t.Fatalf("CloseAndRecv: %v", err)
	}
	if int(reply.AggregatedPayloadSize) != sum {
		t.Fatalf("aggregated size %d, want %d", reply.AggregatedPayloadSize, sum)
	}
}

func responseParams(sizes []int) []*testpb.ResponseParameters {
	ps := make([]*testpb.ResponseParameters, len(sizes))
	for i, n := range sizes {
		ps[i] = &testpb.ResponseParameters{Size: int32(n)}
	}
	return ps
}

func serverStreaming(t *testing.T, c grpcCall) {
	ctx, tc := c.ctx, c.tc
	stream, err := tc.StreamingOutputCall(ctx, &testpb.StreamingOutputCallRequest{
		ResponseType:       testpb.PayloadType_COMPRESSABLE,
		ResponseParameters: responseParams(respSizes),
	})
	if err != nil {
		t.Fatalf("StreamingOutputCall: %v", err)
	}
	for i := 0; ; i++ {
		reply, err := stream.Recv()
		if err == io.EOF {
			if i != len(respSizes) {
				t.Fatalf("got %d replies, want %d", i, len(respSizes))
			}
			return
		}
		if err != nil {
			t.Fatalf("Recv %d: %v", i, err)
		}
		if i >= len(respSizes) {
			t.Fatalf("more than %d replies", len(respSizes))
		}
		if err := CheckPayload(reply.Payload, respSizes[i]); err != nil {
			t.Fatalf("reply %d: %v", i, err)
		}
	}
}

func pingPong(t *testing.T, c grpcCall) {
	ctx, tc := c.ctx, c.tc
	stream, err := tc.FullDuplexCall(ctx)
	if err != nil {
		t.Fatalf("FullDuplexCall: %v", err)
	}
	for i, n := range reqSizes {
		req := &testpb.StreamingOutputCallRequest{
			ResponseType:       testpb.PayloadType_COMPRESSABLE,
			ResponseParameters: responseParams(respSizes[i : i+1]),
			Payload:            Payload(n),
		}
		if err := stream.Send(req); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
		reply, err := stream.Recv()
		if err != nil {
			t.Fatalf("Recv %d: %v", i, err)
		}
		if err := CheckPayload(reply.Payload, respSizes[i]); err != nil {
			t.Fatalf("reply %d: %v", i, err)
		}
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatalf("CloseSend: %v", err)
	}
	if _, err := stream.Recv(); err != io.EOF {
		t.Fatalf("Recv after CloseSend: %v, want io.EOF", err)
	}
}

func emptyStream(t *testing.T, c grpcCall) {
	ctx, tc := c.ctx, c.tc
	stream, err := tc.FullDuplexCall(ctx)
	if err != nil {
		t.Fatalf("FullDuplexCall: %v", err)
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatalf("CloseSend: %v", err)
	}
	if _, err := stream.Recv(); err != io.EOF {
		t.Fatalf("Recv: %v, want io.EOF", err)
	}
}

// timeoutOnSleepingServer: the server never answers (no response
// parameters), so the call ends by its 1 ms deadline.
func timeoutOnSleepingServer(t *testing.T, c grpcCall) {
	ctx, tc := c.ctx, c.tc
	ctx, cancel := context.WithTimeout(ctx, time.Millisecond)
	defer cancel()
	stream, err := tc.FullDuplexCall(ctx)
	if err != nil {
		if status.Code(err) == codes.DeadlineExceeded {
			return
		}
		t.Fatalf("FullDuplexCall: %v", err)
	}
	req := &testpb.StreamingOutputCallRequest{ResponseType: testpb.PayloadType_COMPRESSABLE, Payload: Payload(27182)}
	if err := stream.Send(req); err != nil && err != io.EOF {
		t.Fatalf("Send: %v", err)
	}
	if _, err := stream.Recv(); status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("Recv: %v, want DeadlineExceeded", err)
	}
}

// cancelAfterBegin cancels a client stream before sending anything and
// expects Canceled. grpc-go notices the cancellation asynchronously, so
// CloseAndRecv can (rarely: about once in thousands of runs, over any
// transport) still deliver the server's answer to the half-close it sent;
// such an attempt proves nothing either way and is repeated.
func cancelAfterBegin(t *testing.T, c grpcCall) {
	ctx, tc := c.ctx, c.tc
	for attempt := 0; ; attempt++ {
		ctx, cancel := context.WithCancel(ctx)
		stream, err := tc.StreamingInputCall(ctx)
		if err != nil {
			cancel()
			t.Fatalf("StreamingInputCall: %v", err)
		}
		cancel()
		_, err = stream.CloseAndRecv()
		if status.Code(err) == codes.Canceled {
			return
		}
		if err != nil || attempt == 2 {
			t.Fatalf("CloseAndRecv after cancel: %v, want Canceled", err)
		}
	}
}

func cancelAfterFirstResponse(t *testing.T, c grpcCall) {
	ctx, tc := c.ctx, c.tc
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := tc.FullDuplexCall(ctx)
	if err != nil {
		t.Fatalf("FullDuplexCall: %v", err)
	}
	req := &testpb.StreamingOutputCallRequest{
		ResponseType:       testpb.PayloadType_COMPRESSABLE,
		ResponseParameters: responseParams([]int{31415}),
		Payload:            Payload(27182),
	}
	if err := stream.Send(req); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatalf("Recv: %v", err)
	}
	cancel()
	if _, err := stream.Recv(); status.Code(err) != codes.Canceled {
		t.Fatalf("Recv after cancel: %v, want Canceled", err)
	}
}

func checkEchoedMetadata(t *testing.T, header, trailer metadata.MD) {
	t.Helper()
	if v := header.Get(initialMetadataKey); len(v) != 1 || v[0] != initialMetadataValue {
		t.Errorf("header %s = %q, want [%q]", initialMetadataKey, v, initialMetadataValue)
	}
	if v := trailer.Get(trailingMetadataKey); len(v) != 1 || v[0] != trailingMetadataValue {
		t.Errorf("trailer %s = %q, want [%q]", trailingMetadataKey, v, trailingMetadataValue)
	}
}

func customMetadata(t *testing.T, c grpcCall) {
	ctx, tc := c.ctx, c.tc
	ctx = metadata.NewOutgoingContext(ctx, metadata.Pairs(
		initialMetadataKey, initialMetadataValue,
		trailingMetadataKey, trailingMetadataValue))

	var header, trailer metadata.MD
	req := &testpb.SimpleRequest{ResponseType: testpb.PayloadType_COMPRESSABLE, ResponseSize: 1, Payload: Payload(1)}
	reply, err := tc.UnaryCall(ctx, req, grpc.Header(&header), grpc.Trailer(&trailer))
	if err != nil {
		t.Fatalf("UnaryCall: %v", err)
	}
	if err := CheckPayload(reply.Payload, 1); err != nil {
		t.Fatalf("UnaryCall reply: %v", err)
	}
	checkEchoedMetadata(t, header, trailer)

	stream, err := tc.FullDuplexCall(ctx)
	if err != nil {
		t.Fatalf("FullDuplexCall: %v", err)
	}
	sreq := &testpb.StreamingOutputCallRequest{ResponseParameters: responseParams([]int{1}), Payload: Payload(1)}
	if err := stream.Send(sreq); err != nil {
		t.Fatalf("Send: %v", err)
	}
	header, err = stream.Header()
	if err != nil {
		t.Fatalf("Header: %v", err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatalf("Recv: %v", err)
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatalf("CloseSend: %v", err)
	}
	if _, err := stream.Recv(); err != io.EOF {
		t.Fatalf("Recv after CloseSend: %v, want io.EOF", err)
	}
	checkEchoedMetadata(t, header, stream.Trailer())
}

func wantStatus(t *testing.T, what string, err error, code codes.Code, msg string) {
	t.Helper()
	s, ok := status.FromError(err)
	if !ok || s.Code() != code || s.Message() != msg {
		t.Fatalf("%s: %v, want code %v message %q", what, err, code, msg)
	}
}

func statusCodeAndMessage(t *testing.T, c grpcCall) {
	ctx, tc := c.ctx, c.tc
	const msg = "test status message"
	echo := &testpb.EchoStatus{Code: int32(codes.Unknown), Message: msg}
	_, err := tc.UnaryCall(ctx, &testpb.SimpleRequest{ResponseStatus: echo})
	wantStatus(t, "UnaryCall", err, codes.Unknown, msg)

	stream, err := tc.FullDuplexCall(ctx)
	if err != nil {
		t.Fatalf("FullDuplexCall: %v", err)
	}
	if err := stream.Send(&testpb.StreamingOutputCallRequest{ResponseStatus: echo}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatalf("CloseSend: %v", err)
	}
	_, err = stream.Recv()
	wantStatus(t, "FullDuplexCall Recv", err, codes.Unknown, msg)
}

func specialStatusMessage(t *testing.T, c grpcCall) {
	ctx, tc := c.ctx, c.tc
	const msg = "\t\ntest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\t\n"
	_, err := tc.UnaryCall(ctx, &testpb.SimpleRequest{ResponseStatus: &testpb.EchoStatus{Code: int32(codes.Unknown), Message: msg}})
	wantStatus(t, "UnaryCall", err, codes.Unknown, msg)
}

func unimplementedMethod(t *testing.T, c grpcCall) {
	ctx, cc := c.ctx, c.cc
	err := cc.Invoke(ctx, "/grpc.testing.TestService/UnimplementedCall", &testpb.Empty{}, &testpb.Empty{})
	if status.Code(err) != codes.Unimplemented {
		t.Fatalf("UnimplementedCall: %v, want Unimplemented", err)
	}
}

func unimplementedService(t *testing.T, c grpcCall) {
	ctx, cc := c.ctx, c.cc
	_, err := testpb.NewUnimplementedServiceClient(cc).UnimplementedCall(ctx, &testpb.Empty{})
	if status.Code(err) != codes.Unimplemented {
		t.Fatalf("UnimplementedService.UnimplementedCall: %v, want Unimplemented", err)
	}
}
