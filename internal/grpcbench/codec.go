package grpcbench

import (
	"context"
	"fmt"
	"io"
	"sync"

	"google.golang.org/grpc"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
)

// CodecFloor is a grpc.ClientConnInterface with no transport at all: a
// call costs only the protobuf encoding and decoding that any transport's
// call needs, done in the calling goroutine. Unary and ServerStream run over
// it unchanged, which makes its figures the floor of every gRPC row:
//
//   - a unary call encodes the request, decodes it as the server would,
//     encodes the service's response and decodes it into the reply, one
//     after the other, as they follow each other in a real round trip;
//   - a server-stream message is only decoded: with the server in another
//     process, its encoding runs in parallel with the client's decoding, so
//     the client's decoding bounds the stream.
//
// Encoding goes into a reused buffer, as grpcshm's direct path encodes into
// its ring; decoding allocates the message's fields, as it does over every
// transport.
type CodecFloor struct {
	svc  benchService
	bufs sync.Pool // *[]byte encoding buffers
}

// NewCodecFloor returns a CodecFloor serving the benchmark service.
func NewCodecFloor() *CodecFloor { return &CodecFloor{} }

// Close does nothing: there is nothing to close.
func (c *CodecFloor) Close() error { return nil }

// encode marshals m into buf's storage and returns the encoding.
func encode(buf *[]byte, m any) ([]byte, error) {
	pm, ok := m.(proto.Message)
	if !ok {
		return nil, fmt.Errorf("grpcbench: %T is not a proto message", m)
	}
	b, err := proto.MarshalOptions{}.MarshalAppend((*buf)[:0], pm)
	*buf = b
	return b, err
}

// Invoke runs a UnaryCall's encoding and decoding.
func (c *CodecFloor) Invoke(_ context.Context, method string, args, reply any, _ ...grpc.CallOption) error {
	if method != testpb.BenchmarkService_UnaryCall_FullMethodName {
		return fmt.Errorf("grpcbench: the codec floor serves no %s", method)
	}
	buf, ok := c.bufs.Get().(*[]byte)
	if !ok {
		buf = new([]byte)
	}
	defer c.bufs.Put(buf)
	b, err := encode(buf, args)
	if err != nil {
		return err
	}
	req := new(testpb.SimpleRequest)
	if err := proto.Unmarshal(b, req); err != nil {
		return err
	}
	if b, err = encode(buf, c.svc.response(req.ResponseSize)); err != nil {
		return err
	}
	return proto.Unmarshal(b, reply.(proto.Message))
}

// NewStream opens a StreamingFromServer stream: its messages are the
// service's response encoded once, decoded on every RecvMsg.
func (c *CodecFloor) NewStream(ctx context.Context, _ *grpc.StreamDesc, method string, _ ...grpc.CallOption) (grpc.ClientStream, error) {
	if method != testpb.BenchmarkService_StreamingFromServer_FullMethodName {
		return nil, fmt.Errorf("grpcbench: the codec floor serves no %s", method)
	}
	return &codecStream{ctx: ctx, c: c}, nil
}

// codecStream is CodecFloor's server stream.
type codecStream struct {
	ctx context.Context
	c   *CodecFloor
	msg []byte // the encoded response, once the request came
}

func (s *codecStream) SendMsg(m any) error {
	var buf []byte
	b, err := encode(&buf, m)
	if err != nil {
		return err
	}
	req := new(testpb.SimpleRequest)
	if err := proto.Unmarshal(b, req); err != nil {
		return err
	}
	s.msg, err = proto.Marshal(s.c.svc.response(req.ResponseSize))
	return err
}

func (s *codecStream) RecvMsg(m any) error {
	if err := s.ctx.Err(); err != nil {
		return err
	}
	if s.msg == nil {
		return io.EOF
	}
	return proto.Unmarshal(s.msg, m.(proto.Message))
}

func (s *codecStream) Header() (metadata.MD, error) { return nil, nil }
func (s *codecStream) Trailer() metadata.MD         { return nil }
func (s *codecStream) CloseSend() error             { return nil }
func (s *codecStream) Context() context.Context     { return s.ctx }

var _ grpc.ClientConnInterface = (*CodecFloor)(nil)
