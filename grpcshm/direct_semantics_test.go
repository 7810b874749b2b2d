package grpcshm_test

import (
	"context"
	"errors"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/grpcshm"
)

// The direct path's gRPC semantics, each checked as grpc-go behaves:
// metadata, statuses, deadlines, cancellation, interceptors and the peer.

// binValue is a binary metadata value: every byte value once.
var binValue = func() string {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return string(b)
}()

// checkMD fails the test unless md[key] is exactly want.
func checkMD(t *testing.T, what string, md metadata.MD, key string, want ...string) {
	t.Helper()
	if got := md.Get(key); !slices.Equal(got, want) {
		t.Errorf("%s[%q] = %q, want %q", what, key, got, want)
	}
}

// Outgoing metadata reaches the handler; headers set with grpc.SetHeader
// and grpc.SendHeader, and trailers with grpc.SetTrailer, reach the
// grpc.Header and grpc.Trailer call options (unary) and the stream's
// Header and Trailer (streaming).
func TestDirectMetadata(t *testing.T) {
	h := &hookServer{
		unary: func(ctx context.Context, req *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
			md, _ := metadata.FromIncomingContext(ctx)
			if err := grpc.SetHeader(ctx, metadata.Pairs("h-set", "1", "h-echo", strings.Join(md.Get("k"), ","))); err != nil {
				return nil, err
			}
			if err := grpc.SendHeader(ctx, metadata.Pairs("h-sent", "2", "h-bin", md.Get("k-bin")[0])); err != nil {
				return nil, err
			}
			if err := grpc.SetHeader(ctx, metadata.Pairs("late", "x")); err == nil {
				return nil, status.Error(codes.Internal, "SetHeader after SendHeader succeeded")
			}
			grpc.SetTrailer(ctx, metadata.Pairs("t-1", "a"))
			grpc.SetTrailer(ctx, metadata.Pairs("t-1", "b", "t-bin", binValue))
			return &testpb.SimpleResponse{}, nil
		},
		duplex: func(stream testpb.TestService_FullDuplexCallServer) error {
			ctx := stream.Context()
			md, _ := metadata.FromIncomingContext(ctx)
			if err := stream.SetHeader(metadata.Pairs("s-set", md.Get("k")[0])); err != nil {
				return err
			}
			if err := grpc.SetHeader(ctx, metadata.Pairs("s-ctx", "1")); err != nil {
				return err
			}
			if err := stream.SendHeader(metadata.Pairs("s-sent", "2")); err != nil {
				return err
			}
			if err := stream.SetHeader(metadata.Pairs("late", "x")); err == nil {
				return status.Error(codes.Internal, "SetHeader after SendHeader succeeded")
			}
			stream.SetTrailer(metadata.Pairs("st-1", "a"))
			if err := grpc.SetTrailer(ctx, metadata.Pairs("st-2", "b")); err != nil {
				return err
			}
			return echoDuplex(stream)
		},
	}
	_, ch := serveHooks(t, h, nil)
	tc := testpb.NewTestServiceClient(ch)
	ctx := metadata.AppendToOutgoingContext(testCtx(t), "k", "v1", "k", "v2", "k-bin", binValue)

	t.Run("unary", func(t *testing.T) {
		var header, trailer metadata.MD
		if _, err := tc.UnaryCall(ctx, &testpb.SimpleRequest{}, grpc.Header(&header), grpc.Trailer(&trailer)); err != nil {
			t.Fatal(err)
		}
		checkMD(t, "header", header, "h-set", "1")
		checkMD(t, "header", header, "h-echo", "v1,v2")
		checkMD(t, "header", header, "h-sent", "2")
		checkMD(t, "header", header, "h-bin", binValue)
		checkMD(t, "header", header, "late")
		checkMD(t, "trailer", trailer, "t-1", "a", "b")
		checkMD(t, "trailer", trailer, "t-bin", binValue)
	})
	t.Run("unary-none", func(t *testing.T) {
		// A call whose handler sets nothing: the options see no metadata.
		header, trailer := metadata.MD{"stale": {"x"}}, metadata.MD{"stale": {"x"}}
		if _, err := tc.EmptyCall(ctx, &testpb.Empty{}, grpc.Header(&header), grpc.Trailer(&trailer)); err != nil {
			t.Fatal(err)
		}
		checkMD(t, "header", header, "stale")
		checkMD(t, "trailer", trailer, "stale")
	})
	t.Run("stream", func(t *testing.T) {
		var optHeader, optTrailer metadata.MD
		stream, err := tc.FullDuplexCall(ctx, grpc.Header(&optHeader), grpc.Trailer(&optTrailer))
		if err != nil {
			t.Fatal(err)
		}
		header, err := stream.Header()
		if err != nil {
			t.Fatal(err)
		}
		for _, md := range []metadata.MD{header} {
			checkMD(t, "header", md, "s-set", "v1")
			checkMD(t, "header", md, "s-ctx", "1")
			checkMD(t, "header", md, "s-sent", "2")
			checkMD(t, "header", md, "late")
		}
		if err := stream.Send(&testpb.StreamingOutputCallRequest{ResponseParameters: sizes(10)}); err != nil {
			t.Fatal(err)
		}
		if _, err := stream.Recv(); err != nil {
			t.Fatal(err)
		}
		stream.CloseSend()
		if _, err := stream.Recv(); err != io.EOF {
			t.Fatalf("Recv at the end: %v, want io.EOF", err)
		}
		for _, md := range []metadata.MD{stream.Trailer(), optTrailer} {
			checkMD(t, "trailer", md, "st-1", "a")
			checkMD(t, "trailer", md, "st-2", "b")
		}
		checkMD(t, "header option", optHeader, "s-sent", "2")
	})
}

// Status codes, messages and details round-trip, from unary and streaming
// handlers; a handler's plain error becomes Unknown with its text.
func TestDirectStatus(t *testing.T) {
	info := &errdetails.ErrorInfo{Reason: "QUOTA", Domain: "tachyon.test", Metadata: map[string]string{"k": "v"}}
	retry := &errdetails.RetryInfo{}
	rich, err := status.New(codes.FailedPrecondition, "not now: \u00e9\t\n%").WithDetails(info, retry)
	if err != nil {
		t.Fatal(err)
	}
	h := &hookServer{
		unary: func(ctx context.Context, req *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
			if req.ResponseSize == 1 {
				return nil, errors.New("plain failure")
			}
			return nil, rich.Err()
		},
		duplex: func(stream testpb.TestService_FullDuplexCallServer) error {
			if _, err := stream.Recv(); err != nil {
				return err
			}
			if err := stream.Send(&testpb.StreamingOutputCallResponse{}); err != nil {
				return err
			}
			return rich.Err()
		},
	}
	_, ch := serveHooks(t, h, nil)
	tc := testpb.NewTestServiceClient(ch)
	ctx := testCtx(t)
	checkRich := func(t *testing.T, err error) {
		t.Helper()
		st, ok := status.FromError(err)
		if !ok {
			t.Fatalf("error %v is not a status", err)
		}
		if st.Code() != rich.Code() || st.Message() != rich.Message() {
			t.Errorf("status %v %q, want %v %q", st.Code(), st.Message(), rich.Code(), rich.Message())
		}
		if !proto.Equal(st.Proto(), rich.Proto()) {
			t.Errorf("status %v, want %v", st.Proto(), rich.Proto())
		}
		ds := st.Details()
		if len(ds) != 2 {
			t.Fatalf("%d details, want 2", len(ds))
		}
		if got, ok := ds[0].(*errdetails.ErrorInfo); !ok || !proto.Equal(got, info) {
			t.Errorf("detail %v, want %v", ds[0], info)
		}
	}

	_, err = tc.UnaryCall(ctx, &testpb.SimpleRequest{})
	checkRich(t, err)

	_, err = tc.UnaryCall(ctx, &testpb.SimpleRequest{ResponseSize: 1})
	if st := status.Convert(err); st.Code() != codes.Unknown || st.Message() != "plain failure" {
		t.Errorf("plain error: %v, want Unknown \"plain failure\"", err)
	}

	stream, err := tc.FullDuplexCall(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&testpb.StreamingOutputCallRequest{}); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatal(err)
	}
	_, err = stream.Recv()
	checkRich(t, err)
	if _, again := stream.Recv(); status.Code(again) != rich.Code() {
		t.Errorf("Recv after the end: %v, want the status again", again)
	}
}

// The client's deadline reaches the handler's context; a handler that
// outlives it sees its context end with DeadlineExceeded, and the client
// gets codes.DeadlineExceeded. A call without a deadline has none there.
func TestDirectDeadline(t *testing.T) {
	deadlines := make(chan time.Time, 1)
	ended := make(chan error, 1)
	h := &hookServer{
		unary: func(ctx context.Context, req *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
			dl, ok := ctx.Deadline()
			if !ok {
				dl = time.Time{}
			}
			deadlines <- dl
			if req.ResponseSize == 1 { // outlive the deadline
				select {
				case <-ctx.Done():
				case <-time.After(testTimeout):
				}
				ended <- ctx.Err()
				return nil, ctx.Err()
			}
			return &testpb.SimpleResponse{}, nil
		},
		duplex: func(stream testpb.TestService_FullDuplexCallServer) error {
			ctx := stream.Context()
			dl, _ := ctx.Deadline()
			deadlines <- dl
			select {
			case <-ctx.Done():
			case <-time.After(testTimeout):
			}
			ended <- ctx.Err()
			return ctx.Err()
		},
	}
	_, ch := serveHooks(t, h, nil)
	tc := testpb.NewTestServiceClient(ch)

	// The handler's deadline is the client's, give or take the time the
	// headers took to arrive: never earlier, and late by less than this.
	const tolerance = time.Second
	checkDeadline := func(t *testing.T, want time.Time) {
		t.Helper()
		got := recvWithin(t, deadlines, "the handler")
		if d := got.Sub(want); d < -time.Millisecond || d > tolerance {
			t.Errorf("handler's deadline is %v off the client's", d)
		}
	}

	t.Run("unary", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		want, _ := ctx.Deadline()
		if _, err := tc.UnaryCall(ctx, &testpb.SimpleRequest{}); err != nil {
			t.Fatal(err)
		}
		checkDeadline(t, want)
	})
	t.Run("none", func(t *testing.T) {
		if _, err := tc.UnaryCall(context.Background(), &testpb.SimpleRequest{}); err != nil {
			t.Fatal(err)
		}
		if dl := recvWithin(t, deadlines, "the handler"); !dl.IsZero() {
			t.Errorf("handler of a call without deadline has one %v ahead", time.Until(dl))
		}
	})
	t.Run("unary-exceeded", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		want, _ := ctx.Deadline()
		_, err := tc.UnaryCall(ctx, &testpb.SimpleRequest{ResponseSize: 1})
		if status.Code(err) != codes.DeadlineExceeded {
			t.Errorf("UnaryCall past its deadline: %v, want DeadlineExceeded", err)
		}
		checkDeadline(t, want)
		// The server's own timer and the client's cancel race, as in
		// grpc-go (whose client resets the stream at its deadline).
		if err := recvWithin(t, ended, "the handler's context to end"); err != context.DeadlineExceeded && err != context.Canceled {
			t.Errorf("handler's context ended with %v, want DeadlineExceeded or Canceled", err)
		}
	})
	t.Run("stream-exceeded", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		want, _ := ctx.Deadline()
		stream, err := tc.FullDuplexCall(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := stream.Send(&testpb.StreamingOutputCallRequest{}); err != nil && err != io.EOF {
			t.Fatal(err)
		}
		checkDeadline(t, want)
		if _, err := stream.Recv(); status.Code(err) != codes.DeadlineExceeded {
			t.Errorf("Recv past the deadline: %v, want DeadlineExceeded", err)
		}
		if err := recvWithin(t, ended, "the handler's context to end"); err == nil {
			t.Error("handler's context did not end")
		}
	})
	t.Run("expired", func(t *testing.T) {
		// A deadline already past: the call fails at once and reaches no
		// handler.
		ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
		defer cancel()
		if _, err := tc.UnaryCall(ctx, &testpb.SimpleRequest{}); status.Code(err) != codes.DeadlineExceeded {
			t.Errorf("UnaryCall with an expired deadline: %v, want DeadlineExceeded", err)
		}
		select {
		case <-deadlines:
			t.Error("a call with an expired deadline reached the handler")
		default:
		}
	})
}

// Cancelling a call's context cancels its handler's context, and the
// client gets codes.Canceled; for unary and streaming calls.
func TestDirectCancel(t *testing.T) {
	started := make(chan struct{}, 1)
	ended := make(chan error, 1)
	block := func(ctx context.Context) error {
		started <- struct{}{}
		select {
		case <-ctx.Done():
		case <-time.After(testTimeout):
		}
		ended <- ctx.Err()
		return ctx.Err()
	}
	h := &hookServer{
		unary: func(ctx context.Context, _ *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
			return nil, block(ctx)
		},
		duplex: func(stream testpb.TestService_FullDuplexCallServer) error { return block(stream.Context()) },
	}
	_, ch := serveHooks(t, h, nil)
	tc := testpb.NewTestServiceClient(ch)

	t.Run("unary", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() {
			_, err := tc.UnaryCall(ctx, &testpb.SimpleRequest{})
			errc <- err
		}()
		recvWithin(t, started, "the handler to start")
		cancel()
		if err := recvWithin(t, errc, "the call to end"); status.Code(err) != codes.Canceled {
			t.Errorf("UnaryCall after cancel: %v, want Canceled", err)
		}
		if err := recvWithin(t, ended, "the handler's context to end"); err != context.Canceled {
			t.Errorf("handler's context ended with %v, want Canceled", err)
		}
	})
	t.Run("stream", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		stream, err := tc.FullDuplexCall(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := stream.Send(&testpb.StreamingOutputCallRequest{}); err != nil {
			t.Fatal(err)
		}
		recvWithin(t, started, "the handler to start")
		cancel()
		if _, err := stream.Recv(); status.Code(err) != codes.Canceled {
			t.Errorf("Recv after cancel: %v, want Canceled", err)
		}
		if err := recvWithin(t, ended, "the handler's context to end"); err != context.Canceled {
			t.Errorf("handler's context ended with %v, want Canceled", err)
		}
		if err := stream.Send(&testpb.StreamingOutputCallRequest{}); err != io.EOF {
			t.Errorf("Send after cancel: %v, want io.EOF", err)
		}
	})
}

// Client and server interceptors, unary and stream, run chained in order
// (the first outermost) around the call, and each sees the method.
func TestDirectInterceptors(t *testing.T) {
	var mu sync.Mutex
	var trace []string
	note := func(s string) {
		mu.Lock()
		trace = append(trace, s)
		mu.Unlock()
	}
	take := func() []string {
		mu.Lock()
		defer mu.Unlock()
		tr := trace
		trace = nil
		return tr
	}
	cu := func(name string) grpc.UnaryClientInterceptor {
		return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			note(name + ">" + method)
			ctx = metadata.AppendToOutgoingContext(ctx, "via", name)
			err := invoker(ctx, method, req, reply, cc, opts...)
			note(name + "<")
			return err
		}
	}
	cs := func(name string) grpc.StreamClientInterceptor {
		return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
			note(name + ">" + method)
			ctx = metadata.AppendToOutgoingContext(ctx, "via", name)
			s, err := streamer(ctx, desc, cc, method, opts...)
			note(name + "<")
			return s, err
		}
	}
	su := func(name string) grpc.UnaryServerInterceptor {
		return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
			md, _ := metadata.FromIncomingContext(ctx)
			note(name + ">" + info.FullMethod + " via " + strings.Join(md.Get("via"), ","))
			resp, err := handler(ctx, req)
			note(name + "<")
			return resp, err
		}
	}
	ss := func(name string) grpc.StreamServerInterceptor {
		return func(srv any, stream grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
			md, _ := metadata.FromIncomingContext(stream.Context())
			note(name + ">" + info.FullMethod + " via " + strings.Join(md.Get("via"), ","))
			err := handler(srv, stream)
			note(name + "<")
			return err
		}
	}
	h := &hookServer{
		unary: func(ctx context.Context, req *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
			note("handler")
			return &testpb.SimpleResponse{}, nil
		},
		duplex: func(stream testpb.TestService_FullDuplexCallServer) error {
			note("handler")
			return nil
		},
	}
	_, ch := serveHooks(t, h,
		[]grpcshm.ServerOption{
			grpcshm.WithUnaryServerInterceptors(su("s1"), su("s2")),
			grpcshm.WithUnaryServerInterceptors(su("s3")),
			grpcshm.WithStreamServerInterceptors(ss("s1"), ss("s2")),
		},
		grpcshm.WithUnaryInterceptors(cu("c1"), cu("c2")),
		grpcshm.WithStreamInterceptors(cs("c1"), cs("c2")),
	)
	tc := testpb.NewTestServiceClient(ch)
	ctx := testCtx(t)

	if _, err := tc.UnaryCall(ctx, &testpb.SimpleRequest{}); err != nil {
		t.Fatal(err)
	}
	const unary = "/grpc.testing.TestService/UnaryCall"
	want := []string{"c1>" + unary, "c2>" + unary,
		"s1>" + unary + " via c1,c2", "s2>" + unary + " via c1,c2", "s3>" + unary + " via c1,c2",
		"handler", "s3<", "s2<", "s1<", "c2<", "c1<"}
	if got := take(); !slices.Equal(got, want) {
		t.Errorf("unary trace\n%q\nwant\n%q", got, want)
	}

	stream, err := tc.FullDuplexCall(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The stream interceptors return once the stream exists; the server's
	// run around the handler.
	if _, err := stream.Recv(); err != io.EOF {
		t.Fatalf("Recv: %v, want io.EOF", err)
	}
	const duplex = "/grpc.testing.TestService/FullDuplexCall"
	want = []string{"c1>" + duplex, "c2>" + duplex, "c2<", "c1<",
		"s1>" + duplex + " via c1,c2", "s2>" + duplex + " via c1,c2", "handler", "s2<", "s1<"}
	if got := take(); !slices.Equal(got, want) {
		t.Errorf("stream trace\n%q\nwant\n%q", got, want)
	}
}

// peer.FromContext in a handler gives the client's address and its
// credentials (pid, uid, gid), which grpcshm.PeerFromContext reads too;
// the grpc.Peer call option gives the client the server's.
func TestDirectPeer(t *testing.T) {
	type seen struct {
		p     *peer.Peer
		ai    grpcshm.AuthInfo
		aiOK  bool
		peerO bool
	}
	seenc := make(chan seen, 1)
	h := &hookServer{unary: func(ctx context.Context, _ *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
		var s seen
		s.p, s.peerO = peer.FromContext(ctx)
		s.ai, s.aiOK = grpcshm.PeerFromContext(ctx)
		seenc <- s
		return &testpb.SimpleResponse{}, nil
	}}
	_, ch := serveHooks(t, h, nil)
	var serverPeer peer.Peer
	if _, err := testpb.NewTestServiceClient(ch).UnaryCall(testCtx(t), &testpb.SimpleRequest{}, grpc.Peer(&serverPeer)); err != nil {
		t.Fatal(err)
	}
	s := recvWithin(t, seenc, "the handler")
	if !s.peerO || s.p.Addr == nil {
		t.Fatalf("peer.FromContext = %v, %v; want an address", s.p, s.peerO)
	}
	if _, ok := s.p.Addr.(*conn.Addr); !ok {
		t.Errorf("peer address %T, want *conn.Addr", s.p.Addr)
	}
	ai, ok := s.p.AuthInfo.(grpcshm.AuthInfo)
	if !ok {
		t.Fatalf("peer auth info %T, want grpcshm.AuthInfo", s.p.AuthInfo)
	}
	if ai.PID != os.Getpid() || ai.UID != os.Getuid() || ai.GID != os.Getgid() {
		t.Errorf("peer auth info %+v, want pid %d uid %d gid %d", ai, os.Getpid(), os.Getuid(), os.Getgid())
	}
	if !s.aiOK || s.ai.PID != ai.PID || s.ai.UID != ai.UID || s.ai.GID != ai.GID {
		t.Errorf("PeerFromContext = %+v, %v; want %+v", s.ai, s.aiOK, ai)
	}
	if sai, ok := serverPeer.AuthInfo.(grpcshm.AuthInfo); !ok || sai.PID != os.Getpid() {
		t.Errorf("client's grpc.Peer: %+v", serverPeer)
	}
}
