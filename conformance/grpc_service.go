package conformance

import (
	"context"
	"fmt"
	"io"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// The interop cases' constants (gRPC's interop test descriptions).
const (
	initialMetadataKey    = "x-grpc-test-echo-initial"
	trailingMetadataKey   = "x-grpc-test-echo-trailing-bin"
	initialMetadataValue  = "test_initial_metadata_value"
	trailingMetadataValue = "\x0a\x0b\x0a\x0b\x0a\x0b"
	largeReqSize          = 271828
	largeRespSize         = 314159
)

var (
	reqSizes  = []int{27182, 8, 1828, 45904}
	respSizes = []int{31415, 9, 2653, 58979}
)

// RegisterTestService registers the gRPC interop TestService
// (grpc.testing.TestService) on s, as the interop cases expect it: payloads
// of the requested sizes, echoed status and custom metadata. Payload bytes
// follow a fixed pattern, which both sides check. Its HalfDuplexCall,
// CacheableUnaryCall and UnimplementedCall are unimplemented.
func RegisterTestService(s grpc.ServiceRegistrar) {
	testpb.RegisterTestServiceServer(s, testServer{})
}

type testServer struct {
	testpb.UnimplementedTestServiceServer
}

// Payload returns a payload of n pattern bytes (byte i is i mod 251): what
// the service of RegisterTestService sends and expects.
func Payload(n int) *testpb.Payload {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i % 251)
	}
	return &testpb.Payload{Type: testpb.PayloadType_COMPRESSABLE, Body: b}
}

// CheckPayload reports whether p holds the n pattern bytes Payload(n) does.
func CheckPayload(p *testpb.Payload, n int) error {
	b := p.GetBody()
	if len(b) != n {
		return fmt.Errorf("payload of %d bytes, want %d", len(b), n)
	}
	for i, c := range b {
		if c != byte(i%251) {
			return fmt.Errorf("payload byte %d is %#x, want %#x", i, c, byte(i%251))
		}
	}
	return nil
}

// checkRequestPayload fails an RPC whose payload is not the pattern.
func checkRequestPayload(p *testpb.Payload) error {
	if err := CheckPayload(p, len(p.GetBody())); err != nil {
		return status.Error(codes.DataLoss, "request "+err.Error())
	}
	return nil
}

// echoStatus returns the status a request asks for, or nil.
func echoStatus(s *testpb.EchoStatus) error {
	if s == nil || s.Code == 0 {
		return nil
	}
	return status.Error(codes.Code(s.Code), s.Message)
}

// echoMetadata sends the custom metadata back as header and trailer.
func echoMetadata(ctx context.Context, sendHeader func(metadata.MD) error, setTrailer func(metadata.MD)) error {
	md, _ := metadata.FromIncomingContext(ctx)
	if v := md.Get(initialMetadataKey); len(v) > 0 {
		if err := sendHeader(metadata.Pairs(initialMetadataKey, v[0])); err != nil {
			return err
		}
	}
	if v := md.Get(trailingMetadataKey); len(v) > 0 {
		setTrailer(metadata.Pairs(trailingMetadataKey, v[0]))
	}
	return nil
}

func (testServer) EmptyCall(context.Context, *testpb.Empty) (*testpb.Empty, error) {
	return &testpb.Empty{}, nil
}

func (testServer) UnaryCall(ctx context.Context, req *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	err := echoMetadata(ctx,
		func(md metadata.MD) error { return grpc.SendHeader(ctx, md) },
		func(md metadata.MD) { grpc.SetTrailer(ctx, md) })
	if err != nil {
		return nil, err
	}
	if err := echoStatus(req.ResponseStatus); err != nil {
		return nil, err
	}
	if err := checkRequestPayload(req.Payload); err != nil {
		return nil, err
	}
	return &testpb.SimpleResponse{Payload: Payload(int(req.ResponseSize))}, nil
}

func (testServer) StreamingOutputCall(req *testpb.StreamingOutputCallRequest, stream grpc.ServerStreamingServer[testpb.StreamingOutputCallResponse]) error {
	if err := checkRequestPayload(req.Payload); err != nil {
		return err
	}
	for _, p := range req.ResponseParameters {
		if err := stream.Send(&testpb.StreamingOutputCallResponse{Payload: Payload(int(p.Size))}); err != nil {
			return err
		}
	}
	return echoStatus(req.ResponseStatus)
}

func (testServer) StreamingInputCall(stream grpc.ClientStreamingServer[testpb.StreamingInputCallRequest, testpb.StreamingInputCallResponse]) error {
	total := 0
	for {
		req, err := stream.Recv()
		if err == io.EOF {
			return stream.SendAndClose(&testpb.StreamingInputCallResponse{AggregatedPayloadSize: int32(total)})
		}
		if err != nil {
			return err
		}
		if err := checkRequestPayload(req.Payload); err != nil {
			return err
		}
		total += len(req.Payload.GetBody())
	}
}

func (testServer) FullDuplexCall(stream grpc.BidiStreamingServer[testpb.StreamingOutputCallRequest, testpb.StreamingOutputCallResponse]) error {
	if err := echoMetadata(stream.Context(), stream.SendHeader, stream.SetTrailer); err != nil {
		return err
	}
	for {
		req, err := stream.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := echoStatus(req.ResponseStatus); err != nil {
			return err
		}
		if err := checkRequestPayload(req.Payload); err != nil {
			return err
		}
		for _, p := range req.ResponseParameters {
			if err := stream.Send(&testpb.StreamingOutputCallResponse{Payload: Payload(int(p.Size))}); err != nil {
				return err
			}
		}
	}
}
