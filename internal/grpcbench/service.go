package grpcbench

import (
	"context"
	"sync"

	"google.golang.org/grpc"
	testpb "google.golang.org/grpc/interop/grpc_testing"
)

// benchService answers UnaryCall with a payload of the requested size and
// streams such payloads from StreamingFromServer until the client cancels.
// Payloads are built once per size: the measurement is of the transport
// and gRPC, not of the allocator.
type benchService struct {
	testpb.UnimplementedBenchmarkServiceServer
	payloads sync.Map // int32 size → *testpb.SimpleResponse
}

// Register registers the benchmark service on s.
func Register(s grpc.ServiceRegistrar) {
	testpb.RegisterBenchmarkServiceServer(s, &benchService{})
}

func (b *benchService) response(size int32) *testpb.SimpleResponse {
	if r, ok := b.payloads.Load(size); ok {
		return r.(*testpb.SimpleResponse)
	}
	r, _ := b.payloads.LoadOrStore(size, &testpb.SimpleResponse{Payload: &testpb.Payload{Body: make([]byte, size)}})
	return r.(*testpb.SimpleResponse)
}

func (b *benchService) UnaryCall(_ context.Context, req *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	return b.response(req.ResponseSize), nil
}

func (b *benchService) StreamingFromServer(req *testpb.SimpleRequest, stream grpc.ServerStreamingServer[testpb.SimpleResponse]) error {
	resp := b.response(req.ResponseSize)
	for {
		if err := stream.Send(resp); err != nil {
			return err
		}
	}
}
