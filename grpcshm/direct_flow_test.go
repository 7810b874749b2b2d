package grpcshm_test

import (
	"context"
	"fmt"
	"io"
	"sync"
	"testing"

	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/tachyon-ipc/tachyon-go/conformance"
	"github.com/tachyon-ipc/tachyon-go/grpcshm"
)

// Per-call flow control on the direct path: a call whose receiver stops
// reading holds up nothing but itself.

const (
	flowStreams = 64 // concurrent bidi streams on one connection
	flowRounds  = 20 // ping-pongs of each stream that keeps reading
	flowWindow  = 64 << 10
)

// pingPongs runs flowRounds request/response rounds with responses of
// growing size on a new FullDuplexCall, then half-closes and expects the
// end of the stream.
func pingPongs(ctx context.Context, tc testpb.TestServiceClient, id int) error {
	stream, err := tc.FullDuplexCall(ctx)
	if err != nil {
		return err
	}
	for r := range flowRounds {
		n := 1 + (id*997+r*4099)%(32<<10)
		if err := stream.Send(&testpb.StreamingOutputCallRequest{ResponseParameters: sizes(n)}); err != nil {
			return fmt.Errorf("stream %d round %d: Send: %w", id, r, err)
		}
		resp, err := stream.Recv()
		if err != nil {
			return fmt.Errorf("stream %d round %d: Recv: %w", id, r, err)
		}
		if err := conformance.CheckPayload(resp.Payload, n); err != nil {
			return fmt.Errorf("stream %d round %d: %w", id, r, err)
		}
	}
	stream.CloseSend()
	if _, err := stream.Recv(); err != io.EOF {
		return fmt.Errorf("stream %d: Recv at the end: %v", id, err)
	}
	return nil
}

// runOthers runs pingPongs on streams 1 to flowStreams-1 concurrently and
// fails the test with their errors.
func runOthers(t *testing.T, ctx context.Context, tc testpb.TestServiceClient) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, flowStreams)
	for id := 1; id < flowStreams; id++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- pingPongs(ctx, tc, id)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// 64 bidi streams on one Channel; one client stops reading responses worth
// 8 windows while the other 63 run to the end. Then it reads them all.
func TestDirectClientStopsReading(t *testing.T) {
	_, ch := serveHooks(t, &hookServer{}, nil, grpcshm.WithWindow(flowWindow))
	tc := testpb.NewTestServiceClient(ch)
	ctx := testCtx(t)

	stalled, err := tc.FullDuplexCall(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const stalledResponses = 16
	for range stalledResponses {
		if err := stalled.Send(&testpb.StreamingOutputCallRequest{ResponseParameters: sizes(flowWindow / 2)}); err != nil {
			t.Fatal(err)
		}
	}
	runOthers(t, ctx, tc)

	for i := range stalledResponses {
		resp, err := stalled.Recv()
		if err != nil {
			t.Fatalf("stalled stream, response %d: %v", i, err)
		}
		if err := conformance.CheckPayload(resp.Payload, flowWindow/2); err != nil {
			t.Fatal(err)
		}
	}
	stalled.CloseSend()
	if _, err := stalled.Recv(); err != io.EOF {
		t.Fatalf("stalled stream at the end: %v", err)
	}
}

// The server-side analogue: a handler that stops reading requests while
// its client keeps sending; the other 63 streams run to the end, the
// stalled sender blocks, and cancelling it ends its Send and its handler.
func TestDirectServerStopsReading(t *testing.T) {
	handlerEnded := make(chan error, 1)
	h := &hookServer{input: func(stream testpb.TestService_StreamingInputCallServer) error {
		if _, err := stream.Recv(); err != nil {
			handlerEnded <- fmt.Errorf("first Recv: %w", err)
			return err
		}
		<-stream.Context().Done() // read no more
		handlerEnded <- stream.Context().Err()
		return stream.Context().Err()
	}}
	_, ch := serveHooks(t, h, []grpcshm.ServerOption{grpcshm.WithServerWindow(flowWindow)})
	tc := testpb.NewTestServiceClient(ch)
	ctx := testCtx(t)

	stallCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	stalled, err := tc.StreamingInputCall(stallCtx)
	if err != nil {
		t.Fatal(err)
	}
	sendsDone := make(chan error, 1)
	go func() {
		// Far more than the window: Send must block.
		for range 32 {
			if err := stalled.Send(&testpb.StreamingInputCallRequest{Payload: conformance.Payload(flowWindow)}); err != nil {
				sendsDone <- err
				return
			}
		}
		sendsDone <- nil
	}()
	runOthers(t, ctx, tc)

	select {
	case err := <-sendsDone:
		t.Fatalf("32 windows' worth of sends to a handler that reads no more returned %v", err)
	default:
	}
	cancel()
	if err := recvWithin(t, sendsDone, "the blocked Send to end"); err != io.EOF {
		t.Errorf("blocked Send after cancel: %v, want io.EOF", err)
	}
	if err := recvWithin(t, handlerEnded, "the handler's context to end"); err != context.Canceled {
		t.Errorf("handler's context ended with %v, want Canceled", err)
	}
	if _, err := stalled.CloseAndRecv(); err == nil {
		t.Error("CloseAndRecv of a cancelled stream succeeded")
	}
}
