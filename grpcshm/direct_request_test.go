package grpcshm_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/tachyon-ipc/tachyon-go/grpcshm"
)

// A unary request that comes whole is decoded by its handler straight from
// the ring, while the reading goroutine runs the call. These tests cover a
// handler that does not decode at once, so that the reading moves on to
// another goroutine while the request is still in the ring.

// heldService is a hand-written service: Hold waits for a signal before it
// decodes its request and answers with the request's body; Echo answers at
// once; Twice decodes its request two times.
type heldService struct {
	started chan struct{}
	proceed chan struct{}
}

func heldServiceDesc() *grpc.ServiceDesc {
	echo := func(_ any, _ context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
		req := new(testpb.SimpleRequest)
		if err := dec(req); err != nil {
			return nil, err
		}
		return &testpb.SimpleResponse{Payload: req.Payload}, nil
	}
	return &grpc.ServiceDesc{
		ServiceName: "test.Held",
		HandlerType: (*any)(nil),
		Methods: []grpc.MethodDesc{
			{MethodName: "Hold", Handler: func(srv any, ctx context.Context, dec func(any) error, in grpc.UnaryServerInterceptor) (any, error) {
				h := srv.(*heldService)
				h.started <- struct{}{}
				select {
				case <-h.proceed:
				case <-ctx.Done():
					return nil, ctx.Err()
				}
				return echo(srv, ctx, dec, in)
			}},
			{MethodName: "Echo", Handler: echo},
			{MethodName: "Twice", Handler: func(srv any, ctx context.Context, dec func(any) error, in grpc.UnaryServerInterceptor) (any, error) {
				if err := dec(new(testpb.SimpleRequest)); err != nil {
					return nil, err
				}
				return echo(srv, ctx, dec, in)
			}},
		},
	}
}

func serveHeld(t *testing.T) (*heldService, *grpcshm.Channel) {
	h := &heldService{started: make(chan struct{}, 1), proceed: make(chan struct{})}
	s := grpcshm.NewServer()
	s.RegisterService(heldServiceDesc(), h)
	return h, newChannel(t, serveServer(t, s))
}

func randomRequest(r *rand.Rand, n int) *testpb.SimpleRequest {
	body := make([]byte, n)
	for i := range body {
		body[i] = byte(r.Uint32())
	}
	return &testpb.SimpleRequest{Payload: &testpb.Payload{Body: body}}
}

// TestDirectHeldRequestTakeOver: while a handler holds back the decoding
// of its request, other calls on the same connection go through, and their
// requests, several times the ring's size in all, overwrite the ring where
// the held request was; the held handler then still decodes its own.
func TestDirectHeldRequestTakeOver(t *testing.T) {
	h, ch := serveHeld(t)
	ctx := testCtx(t)
	r := rand.New(rand.NewPCG(1, 2))
	held := randomRequest(r, 100<<10)
	done := make(chan error, 1)
	go func() {
		resp := new(testpb.SimpleResponse)
		err := ch.Invoke(ctx, "/test.Held/Hold", held, resp)
		if err == nil && !bytes.Equal(resp.Payload.GetBody(), held.Payload.Body) {
			err = status.Error(codes.DataLoss, "the held request came back changed")
		}
		done <- err
	}()
	recvWithin(t, h.started, "the held handler to start")
	for range 3 * grpcshm.DirectRingSize / (512 << 10) {
		req := randomRequest(r, 512<<10)
		resp := new(testpb.SimpleResponse)
		if err := ch.Invoke(ctx, "/test.Held/Echo", req, resp); err != nil {
			t.Fatalf("a call beside the held one: %v", err)
		}
		if !bytes.Equal(resp.Payload.GetBody(), req.Payload.Body) {
			t.Fatal("a call beside the held one came back changed")
		}
	}
	close(h.proceed)
	if err := recvWithin(t, done, "the held call"); err != nil {
		t.Fatalf("held call: %v", err)
	}
}

// TestDirectRequestDecodedTwice: the request of a unary call is gone once
// decoded from the ring, so a second decode fails the call with Internal
// (generated handlers decode once).
func TestDirectRequestDecodedTwice(t *testing.T) {
	_, ch := serveHeld(t)
	err := ch.Invoke(testCtx(t), "/test.Held/Twice", randomRequest(rand.New(rand.NewPCG(3, 4)), 32), new(testpb.SimpleResponse))
	if status.Code(err) != codes.Internal {
		t.Fatalf("second decode: got %v, want code Internal", err)
	}
}
