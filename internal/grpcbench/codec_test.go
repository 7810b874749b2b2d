package grpcbench_test

import (
	"context"
	"testing"
	"time"

	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/tachyon-ipc/tachyon-go/internal/grpcbench"
)

// The codec floor carries both loads through generated client code, with
// responses of the requested size, and refuses methods it does not serve.
func TestCodecFloor(t *testing.T) {
	c := grpcbench.NewCodecFloor()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	load := grpcbench.Load{Size: 4 << 10, Concurrency: 2, Duration: 10 * time.Millisecond}
	for name, run := range map[string]func(context.Context, grpcbench.Load) (grpcbench.Result, error){
		"unary": func(ctx context.Context, l grpcbench.Load) (grpcbench.Result, error) {
			return grpcbench.Unary(ctx, c, l)
		},
		"stream": func(ctx context.Context, l grpcbench.Load) (grpcbench.Result, error) {
			return grpcbench.ServerStream(ctx, c, l)
		},
	} {
		res, err := run(ctx, load)
		if err != nil || res.Msgs == 0 || res.Bytes != res.Msgs*int64(load.Size) {
			t.Errorf("%s: %d messages, %d bytes, %v", name, res.Msgs, res.Bytes, err)
		}
	}
	resp, err := testpb.NewBenchmarkServiceClient(c).UnaryCall(ctx, &testpb.SimpleRequest{ResponseSize: 100})
	if err != nil || len(resp.GetPayload().GetBody()) != 100 {
		t.Errorf("UnaryCall: %d bytes back, %v", len(resp.GetPayload().GetBody()), err)
	}
	if _, err := testpb.NewBenchmarkServiceClient(c).StreamingCall(ctx); err == nil {
		t.Error("StreamingCall: no error from a method the floor does not serve")
	}
}
