package grpcshm_test

import (
	"io"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/tachyon-ipc/tachyon-go/conformance"
	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/grpcshm"
)

// Codecs from gRPC's registry, message size limits and messages larger
// than a frame and than the window, on the direct path.

// jsonUses counts the messages the test JSON codecs encoded or decoded,
// on either side (the server runs in this process).
var jsonUses atomic.Int64

// jsonCodec is a CodecV2 that encodes proto messages as JSON: a codec that
// is not proto, to show the direct path uses the one a call names.
type jsonCodec struct{ name string }

func (c jsonCodec) Name() string { return c.name }

func (c jsonCodec) Marshal(v any) (mem.BufferSlice, error) {
	jsonUses.Add(1)
	b, err := protojson.Marshal(v.(proto.Message))
	return mem.BufferSlice{mem.SliceBuffer(b)}, err
}

func (c jsonCodec) Unmarshal(data mem.BufferSlice, v any) error {
	jsonUses.Add(1)
	return protojson.Unmarshal(data.Materialize(), v.(proto.Message))
}

// jsonCodecV1 is the same as a legacy encoding.Codec.
type jsonCodecV1 struct{ name string }

func (c jsonCodecV1) Name() string { return c.name }

func (c jsonCodecV1) Marshal(v any) ([]byte, error) {
	jsonUses.Add(1)
	return protojson.Marshal(v.(proto.Message))
}

func (c jsonCodecV1) Unmarshal(b []byte, v any) error {
	jsonUses.Add(1)
	return protojson.Unmarshal(b, v.(proto.Message))
}

func init() {
	// The registry is not safe for concurrent use: register at init, as
	// gRPC asks.
	encoding.RegisterCodecV2(jsonCodec{"tjson2"})
	encoding.RegisterCodec(jsonCodecV1{"tjson1"})
}

// A call names its codec with grpc.CallContentSubtype (a codec registered
// with RegisterCodecV2 or the legacy RegisterCodec) or grpc.ForceCodecV2 /
// grpc.ForceCodec; both sides then encode with it, unary and streaming.
func TestDirectCodecs(t *testing.T) {
	_, ch := serveHooks(t, &hookServer{}, nil)
	tc := testpb.NewTestServiceClient(ch)
	ctx := testCtx(t)
	for _, c := range []struct {
		name string
		opt  grpc.CallOption
	}{
		{"subtype-v2", grpc.CallContentSubtype("tjson2")},
		{"subtype-v1", grpc.CallContentSubtype("TJSON1")}, // subtypes are case-insensitive
		{"force-v2", grpc.ForceCodecV2(jsonCodec{"tjson2"})},
		{"force-v1", grpc.ForceCodec(jsonCodecV1{"tjson1"})},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := jsonUses.Load()
			resp, err := tc.UnaryCall(ctx, &testpb.SimpleRequest{ResponseSize: 100, Payload: conformance.Payload(10)}, c.opt)
			if err != nil {
				t.Fatal(err)
			}
			if err := conformance.CheckPayload(resp.Payload, 100); err != nil {
				t.Fatal(err)
			}
			// Request and response, each encoded and decoded.
			if n := jsonUses.Load() - before; n != 4 {
				t.Errorf("unary call used the JSON codec %d times, want 4", n)
			}
			before = jsonUses.Load()
			stream, err := tc.FullDuplexCall(ctx, c.opt)
			if err != nil {
				t.Fatal(err)
			}
			for range 3 {
				if err := stream.Send(&testpb.StreamingOutputCallRequest{ResponseParameters: sizes(70000)}); err != nil {
					t.Fatal(err)
				}
				resp, err := stream.Recv()
				if err != nil {
					t.Fatal(err)
				}
				if err := conformance.CheckPayload(resp.Payload, 70000); err != nil {
					t.Fatal(err)
				}
			}
			stream.CloseSend()
			if _, err := stream.Recv(); err != io.EOF {
				t.Fatalf("Recv at the end: %v", err)
			}
			if n := jsonUses.Load() - before; n != 12 {
				t.Errorf("stream used the JSON codec %d times, want 12", n)
			}
		})
	}
	t.Run("unregistered", func(t *testing.T) {
		_, err := tc.UnaryCall(ctx, &testpb.SimpleRequest{}, grpc.CallContentSubtype("nosuchcodec"))
		if status.Code(err) != codes.Internal {
			t.Errorf("call with an unregistered codec: %v, want Internal", err)
		}
	})
}

// Messages over the client's or the server's size limits fail their call
// with ResourceExhausted, unary and streaming, and the connection carries
// on.
func TestDirectMaxMessageSize(t *testing.T) {
	_, ch := serveHooks(t, &hookServer{}, []grpcshm.ServerOption{grpcshm.WithMaxMessageSizes(1000, 1500)})
	tc := testpb.NewTestServiceClient(ch)
	ctx := testCtx(t)
	for _, c := range []struct {
		name       string
		req, resp  int
		opts       []grpc.CallOption
		resourceEx bool
	}{
		{"fits", 900, 1400, nil, false},
		{"client-send", 200, 10, []grpc.CallOption{grpc.MaxCallSendMsgSize(100)}, true},
		{"client-recv", 10, 200, []grpc.CallOption{grpc.MaxCallRecvMsgSize(100)}, true},
		{"server-recv", 2000, 10, nil, true},
		{"server-send", 10, 2000, nil, true},
		// Larger than a frame too: the chunked paths check the limits.
		{"client-send-chunked", 300 << 10, 10, []grpc.CallOption{grpc.MaxCallSendMsgSize(100 << 10)}, true},
		{"client-recv-chunked", 10, 300 << 10, []grpc.CallOption{grpc.MaxCallRecvMsgSize(100 << 10)}, true},
		{"server-recv-chunked", 300 << 10, 10, nil, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			want := codes.OK
			if c.resourceEx {
				want = codes.ResourceExhausted
			}
			req := &testpb.SimpleRequest{ResponseSize: int32(c.resp), Payload: conformance.Payload(c.req)}
			_, err := tc.UnaryCall(ctx, req, c.opts...)
			if status.Code(err) != want {
				t.Errorf("unary: %v, want %v", err, want)
			}
			stream, err := tc.FullDuplexCall(ctx, c.opts...)
			if err != nil {
				t.Fatal(err)
			}
			err = stream.Send(&testpb.StreamingOutputCallRequest{ResponseParameters: sizes(c.resp), Payload: conformance.Payload(c.req)})
			if err == nil || err == io.EOF {
				_, err = stream.Recv()
			}
			if status.Code(err) != want {
				t.Errorf("stream: %v, want %v", err, want)
			}
			// The connection still works.
			if _, err := tc.EmptyCall(ctx, &testpb.Empty{}); err != nil {
				t.Errorf("EmptyCall after: %v", err)
			}
		})
	}
}

// Messages of 3 MiB, larger than a frame (64 KiB rings) and than the
// 1 MiB window, both ways: unary, client streaming and bidi.
func TestDirectLargeMessages(t *testing.T) {
	const big, rounds = 3 << 20, 2
	s := grpcshm.NewServer(grpcshm.WithMaxMessageSizes(8<<20, 8<<20), grpcshm.WithServerWindow(1<<20))
	testpb.RegisterTestServiceServer(s, &hookServer{})
	path := serveServer(t, s)
	ch := newChannel(t, path, grpcshm.WithConnOptions(conn.WithRingSize(64<<10)), grpcshm.WithWindow(1<<20),
		grpcshm.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(8<<20)))
	tc := testpb.NewTestServiceClient(ch)
	ctx := testCtx(t)

	resp, err := tc.UnaryCall(ctx, &testpb.SimpleRequest{ResponseSize: big, Payload: conformance.Payload(big)})
	if err != nil {
		t.Fatal(err)
	}
	if err := conformance.CheckPayload(resp.Payload, big); err != nil {
		t.Fatal(err)
	}

	in, err := tc.StreamingInputCall(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for range rounds {
		if err := in.Send(&testpb.StreamingInputCallRequest{Payload: conformance.Payload(big)}); err != nil {
			t.Fatal(err)
		}
	}
	sum, err := in.CloseAndRecv()
	if err != nil {
		t.Fatal(err)
	}
	if sum.AggregatedPayloadSize != rounds*big {
		t.Errorf("server received %d bytes, want %d", sum.AggregatedPayloadSize, rounds*big)
	}

	stream, err := tc.FullDuplexCall(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Send everything before reading: the server's responses wait for
	// window while the client still sends.
	sendErr := make(chan error, 1)
	go func() {
		for range rounds {
			if err := stream.Send(&testpb.StreamingOutputCallRequest{ResponseParameters: sizes(big), Payload: conformance.Payload(big)}); err != nil {
				sendErr <- err
				return
			}
		}
		sendErr <- stream.CloseSend()
	}()
	for range rounds {
		resp, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if err := conformance.CheckPayload(resp.Payload, big); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := stream.Recv(); err != io.EOF {
		t.Fatalf("Recv at the end: %v", err)
	}
	if err := recvWithin(t, sendErr, "the sends"); err != nil {
		t.Fatal(err)
	}
}

// Messages a little larger than the 64 KiB window but small enough for one
// frame of the default rings, both ways: they go in chunks as the receiver
// grants window, instead of waiting for a window that never grows that
// large.
func TestDirectMessageOverWindow(t *testing.T) {
	const n = 100 << 10
	_, ch := serveHooks(t, &hookServer{}, []grpcshm.ServerOption{grpcshm.WithServerWindow(64 << 10)},
		grpcshm.WithWindow(64<<10))
	tc := testpb.NewTestServiceClient(ch)
	ctx := testCtx(t)
	resp, err := tc.UnaryCall(ctx, &testpb.SimpleRequest{ResponseSize: n, Payload: conformance.Payload(n)})
	if err != nil {
		t.Fatal(err)
	}
	if err := conformance.CheckPayload(resp.Payload, n); err != nil {
		t.Fatal(err)
	}
	in, err := tc.StreamingInputCall(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := in.Send(&testpb.StreamingInputCallRequest{Payload: conformance.Payload(n)}); err != nil {
			t.Fatal(err)
		}
	}
	if sum, err := in.CloseAndRecv(); err != nil || sum.AggregatedPayloadSize != 3*n {
		t.Fatalf("CloseAndRecv = %v, %v; want %d bytes", sum, err, 3*n)
	}
}
