package grpcshm_test

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/tachyon-ipc/tachyon-go/conformance"
	"github.com/tachyon-ipc/tachyon-go/grpcshm"
)

// Ending things with calls in flight: Server.GracefulStop, Server.Stop and
// Channel.Close.

// heldCalls is a hookServer whose UnaryCall handlers wait until release is
// closed (or their context ends, which they report on ended).
type heldCalls struct {
	hookServer
	started chan struct{}
	release chan struct{}
	ended   chan error
}

// newHeldCalls returns heldCalls for up to n calls.
func newHeldCalls(n int) *heldCalls {
	h := &heldCalls{started: make(chan struct{}, n), release: make(chan struct{}), ended: make(chan error, n)}
	h.unary = func(ctx context.Context, req *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
		h.started <- struct{}{}
		select {
		case <-h.release:
			return &testpb.SimpleResponse{Payload: conformance.Payload(int(req.ResponseSize))}, nil
		case <-ctx.Done():
			h.ended <- ctx.Err()
			return nil, ctx.Err()
		case <-time.After(testTimeout):
			return nil, status.Error(codes.Internal, "never released")
		}
	}
	return h
}

// startHeld starts n UnaryCalls on tc that the handler holds, waits until
// every handler runs, and returns their errors' channel.
func startHeld(t *testing.T, h *heldCalls, tc testpb.TestServiceClient, n int) <-chan error {
	t.Helper()
	errs := make(chan error, n)
	for range n {
		go func() {
			resp, err := tc.UnaryCall(context.Background(), &testpb.SimpleRequest{ResponseSize: 100})
			if err == nil {
				err = conformance.CheckPayload(resp.Payload, 100)
			}
			errs <- err
		}()
	}
	for range n {
		recvWithin(t, h.started, "the handlers to start")
	}
	return errs
}

// GracefulStop with calls in flight: new calls are refused with
// Unavailable (on the same Channel and on a new one), GracefulStop waits
// for the calls in flight, which finish OK, and returns once they did.
func TestDirectGracefulStop(t *testing.T) {
	const n = 8
	h := newHeldCalls(n)
	s := grpcshm.NewServer()
	testpb.RegisterTestServiceServer(s, &h.hookServer)
	path := serveServer(t, s)
	tc := testpb.NewTestServiceClient(newChannel(t, path))
	errs := startHeld(t, h, tc, n)

	stopped := make(chan struct{})
	go func() { s.GracefulStop(); close(stopped) }()

	// GracefulStop has begun once new calls fail; poll, bounded.
	deadline := time.Now().Add(testTimeout)
	for {
		_, err := tc.EmptyCall(context.Background(), &testpb.Empty{})
		if status.Code(err) == codes.Unavailable {
			break
		}
		if err != nil {
			t.Fatalf("EmptyCall while stopping: %v, want OK or Unavailable", err)
		}
		if time.Now().After(deadline) {
			t.Fatal("GracefulStop did not refuse new calls")
		}
	}
	other, err := grpcshm.NewChannel(path)
	if err == nil {
		_, err = testpb.NewTestServiceClient(other).EmptyCall(context.Background(), &testpb.Empty{})
		other.Close()
	}
	if status.Code(err) != codes.Unavailable {
		t.Errorf("call on a new Channel while stopping: %v, want Unavailable", err)
	}
	select {
	case <-stopped:
		t.Fatal("GracefulStop returned with calls in flight")
	default:
	}
	close(h.release)
	for range n {
		if err := recvWithin(t, errs, "the calls in flight"); err != nil {
			t.Errorf("call in flight during GracefulStop: %v", err)
		}
	}
	recvWithin(t, stopped, "GracefulStop to return")
}

// Stop with calls in flight: their handlers' contexts end, and their
// clients get Unavailable.
func TestDirectStop(t *testing.T) {
	const n = 8
	h := newHeldCalls(n)
	s, ch := serveHooks(t, &h.hookServer, nil)
	errs := startHeld(t, h, testpb.NewTestServiceClient(ch), n)
	s.Stop()
	for range n {
		if err := recvWithin(t, h.ended, "the handlers' contexts to end"); err != context.Canceled {
			t.Errorf("handler's context after Stop: %v, want Canceled", err)
		}
	}
	for range n {
		if err := recvWithin(t, errs, "the calls in flight"); status.Code(err) != codes.Unavailable {
			t.Errorf("call in flight during Stop: %v, want Unavailable", err)
		}
	}
}

// Channel.Close with calls in flight: they fail with Canceled, their
// handlers' contexts end, and later calls fail at once with Canceled.
func TestDirectChannelClose(t *testing.T) {
	const n = 8
	h := newHeldCalls(n)
	_, ch := serveHooks(t, &h.hookServer, nil)
	tc := testpb.NewTestServiceClient(ch)
	errs := startHeld(t, h, tc, n)
	stream, err := tc.FullDuplexCall(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&testpb.StreamingOutputCallRequest{ResponseParameters: sizes(1)}); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatal(err)
	}
	if err := ch.Close(); err != nil {
		t.Fatal(err)
	}
	for range n {
		if err := recvWithin(t, errs, "the calls in flight"); status.Code(err) != codes.Canceled {
			t.Errorf("call in flight during Close: %v, want Canceled", err)
		}
	}
	if _, err := stream.Recv(); status.Code(err) != codes.Canceled {
		t.Errorf("stream Recv after Close: %v, want Canceled", err)
	}
	for range n {
		if err := recvWithin(t, h.ended, "the handlers' contexts to end"); err != context.Canceled {
			t.Errorf("handler's context after Close: %v, want Canceled", err)
		}
	}
	if _, err := tc.EmptyCall(context.Background(), &testpb.Empty{}); status.Code(err) != codes.Canceled {
		t.Errorf("call after Close: %v, want Canceled", err)
	}
}
