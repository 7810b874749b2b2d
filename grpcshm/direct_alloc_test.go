package grpcshm_test

import (
	"context"
	"testing"

	testpb "google.golang.org/grpc/interop/grpc_testing"
)

// maxAllocsPerCall bounds what a unary call of the direct path allocates,
// client and server together: generated code's messages, the call's state
// on both ends, the handler's context. 20.4 on the build VM when the bound
// was set (grpc-go over a Unix socket: 157-159, BenchmarkGRPC).
const maxAllocsPerCall = 22

// A warm unary call stays within maxAllocsPerCall, so what the transport
// adds to generated code's own allocations does not creep back.
func TestDirectCallAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	resp := &testpb.SimpleResponse{Payload: &testpb.Payload{Body: make([]byte, 32)}}
	_, ch := serveHooks(t, &hookServer{unary: func(context.Context, *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
		return resp, nil
	}}, nil)
	client := testpb.NewTestServiceClient(ch)
	req := &testpb.SimpleRequest{ResponseSize: 32, Payload: &testpb.Payload{Body: make([]byte, 32)}}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	var err error
	call := func() {
		if err == nil {
			_, err = client.UnaryCall(ctx, req)
		}
	}
	for range 100 {
		call()
	}
	n := testing.AllocsPerRun(2000, call)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%.1f allocations per call", n)
	if n > maxAllocsPerCall {
		t.Fatalf("%.1f allocations per unary call, want at most %d", n, maxAllocsPerCall)
	}
}
