package bench

import (
	"context"
	"fmt"
	"io"

	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/protobuf/proto"

	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/grpcshm"
)

// The decoding ping-pongs (shm-frames/ping-pong-alloc and -proto): each
// side decodes every frame it receives into memory of its own and lets it
// go once "used", as a unary call's decoded request and reply are garbage
// once the handler or the caller is done with them; each process keeps one
// message live (the request it sends again, or the response it answers
// with), as the grpc-direct/unary rows' processes do, so the collector
// paces itself on the same heap.

// directFrames is how both ends of a decoding ping-pong use frame mode:
// as grpcshm's direct path does (its spin budget, and early wrap at 256
// KiB), so that the floors differ from grpc-direct/unary by gRPC alone.
var directFrames = []conn.FramesOption{conn.WithFramesSpin(grpcshm.DefaultSpin), conn.WithFramesEarlyWrap(256 << 10)}

// Decoders of floorDecoders.
const (
	decodeAlloc = "alloc" // the payload copied into a new slice
	decodeProto = "proto" // a grpc.testing.SimpleResponse, decoded by protobuf
)

// floorDecode is one way of decoding: encode makes the message of n
// payload bytes a side sends, decode takes one out of a frame's bytes and
// returns its payload's length.
type floorDecode struct {
	encode func(n int) []byte
	decode func(b []byte) (int, error)
}

var floorDecoders = map[string]floorDecode{
	decodeAlloc: {encode: payload, decode: decodeCopy},
	decodeProto: {encode: protoMessage, decode: decodeMessage},
}

// kept holds the last decoded message until its frame is released (take):
// package variables, so that every decoded message is a heap allocation
// whatever its size, and live across a call, as a decoded message is
// until its handler or caller is done. This matters more than it seems:
// a build that dropped the message before releasing the frame ran its
// processes at about 1 MiB less live heap after each collection, and the
// alloc floor at twice the round trip (2026-12-07 07:21 UTC, two
// alternations of -only shm-frames/ping-pong-alloc,grpc-unix/unary -sizes
// 1M -count 3: 767-1527 against 530-653 us per round, while gRPC over a
// Unix socket took 2.37-2.70 ms in the same runs).
var (
	keptBytes   []byte
	keptMessage *testpb.SimpleResponse
)

// decodeCopy copies b into a new slice, as protobuf's decoder copies a
// bytes field (append, no zeroing first).
func decodeCopy(b []byte) (int, error) {
	keptBytes = append([]byte(nil), b...)
	return len(keptBytes), nil
}

// protoMessage is the benchmark service's response with n payload bytes,
// encoded.
func protoMessage(n int) []byte {
	b, err := proto.Marshal(&testpb.SimpleResponse{Payload: &testpb.Payload{Body: make([]byte, n)}})
	if err != nil {
		panic(err) // a message of a byte slice always encodes
	}
	return b
}

// decodeMessage decodes b as generated code decodes a response.
func decodeMessage(b []byte) (int, error) {
	keptMessage = new(testpb.SimpleResponse)
	err := proto.Unmarshal(b, keptMessage)
	return len(keptMessage.GetPayload().GetBody()), err
}

// take decodes the next frame.
func (d floorDecode) take(f *conn.Frames) (int, error) {
	fr, err := f.Next(context.Background())
	if err != nil {
		return 0, err
	}
	n, err := d.decode(fr.Payload)
	f.Release()
	keptBytes, keptMessage = nil, nil // used: garbage from now on
	return n, err
}

// receive is the measuring side's receive: the answer decoded, its payload
// length checked (a comparison is work a unary call does not do).
func (d floorDecode) receive(size int) func(f *conn.Frames, msg []byte) error {
	return func(f *conn.Frames, _ []byte) error {
		n, err := d.take(f)
		if err == nil && n != size {
			err = fmt.Errorf("%w (%d payload bytes back for %d)", ErrBadEcho, n, size)
		}
		return err
	}
}

// answer is the peer: it decodes each frame, as a server decodes a
// request, and answers with a message of as many payload bytes that it
// encoded once, as a handler returning a prepared response does.
func (d floorDecode) answer(f *conn.Frames) error {
	var reply []byte
	for {
		n, err := d.take(f)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if reply == nil {
			reply = d.encode(n)
		}
		if err := sendFrameTo(f, reply); err != nil {
			return err
		}
	}
}
