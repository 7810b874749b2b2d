package grpcshm

import (
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	_ "google.golang.org/grpc/encoding/proto" // registers the proto codec
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// How the direct path turns messages into bytes: the codec gRPC's encoding
// registry names, with a fast path for the proto codec that marshals
// straight into the ring's frame and unmarshals straight from a frame.

// codec is one call's codec.
type codec struct {
	v2      encoding.CodecV2
	isProto bool // the registry's proto codec: use the fast path
}

// protoCodec is the default codec.
var protoCodec = codecFor(encoding.GetCodecV2("proto"))

func codecFor(c encoding.CodecV2) codec {
	return codec{v2: c, isProto: c != nil && c.Name() == "proto" && c == encoding.GetCodecV2("proto")}
}

// codecBySubtype finds the codec of a content subtype ("" is proto) as
// grpc-go does: a legacy codec (encoding.RegisterCodec) first, then a
// CodecV2. Subtypes are case-insensitive.
func codecBySubtype(subtype string) (codec, error) {
	subtype = strings.ToLower(subtype)
	if subtype == "" || subtype == "proto" {
		return protoCodec, nil
	}
	if c := encoding.GetCodec(subtype); c != nil {
		return codecFor(legacyCodec{c}), nil
	}
	c := encoding.GetCodecV2(subtype)
	if c == nil {
		return codec{}, status.Errorf(codes.Internal, "grpc: no codec registered for content-subtype %s", subtype)
	}
	return codecFor(c), nil
}

// size returns v's encoded size when it can be known without encoding
// (proto), or -1.
func (c codec) size(v any) int {
	if m, ok := v.(proto.Message); ok && c.isProto {
		return proto.Size(m)
	}
	return -1
}

// marshalInto encodes v into b, whose length is c.size(v).
func (c codec) marshalInto(b []byte, v any) error {
	out, err := proto.MarshalOptions{UseCachedSize: true}.MarshalAppend(b[:0], v.(proto.Message))
	if err != nil {
		return status.Errorf(codes.Internal, "grpc: error while marshaling: %v", err)
	}
	if len(out) != len(b) || (len(b) > 0 && &out[0] != &b[0]) {
		return status.Errorf(codes.Internal, "grpc: message changed while it was marshaled")
	}
	return nil
}

// marshal encodes v into a slice the caller may return with putBuf once
// it is sent (a proto message is marshalled into a pooled buffer).
func (c codec) marshal(v any) ([]byte, error) {
	if m, ok := v.(proto.Message); ok && c.isProto {
		b, err := proto.MarshalOptions{}.MarshalAppend(getBuf(proto.Size(m)), m)
		if err != nil {
			return nil, status.Errorf(codes.Internal, "grpc: error while marshaling: %v", err)
		}
		return b, nil
	}
	bs, err := c.v2.Marshal(v)
	if err != nil {
		return nil, status.Errorf(codes.Internal, "grpc: error while marshaling: %v", err)
	}
	defer bs.Free()
	return bs.Materialize(), nil
}

// unmarshal decodes b into v; b is not kept.
func (c codec) unmarshal(b []byte, v any) error {
	var err error
	if m, ok := v.(proto.Message); ok && c.isProto {
		err = proto.Unmarshal(b, m)
	} else {
		err = c.v2.Unmarshal(mem.BufferSlice{mem.SliceBuffer(b)}, v)
	}
	if err != nil {
		return status.Errorf(codes.Internal, "grpc: failed to unmarshal the received message: %v", err)
	}
	return nil
}

// name is the codec's content subtype; "" for proto.
func (c codec) name() string {
	if c.isProto {
		return ""
	}
	return c.v2.Name()
}

// legacyCodec adapts an encoding.Codec (grpc.ForceCodec) to CodecV2.
type legacyCodec struct{ encoding.Codec }

func (l legacyCodec) Marshal(v any) (mem.BufferSlice, error) {
	b, err := l.Codec.Marshal(v)
	if err != nil {
		return nil, err
	}
	return mem.BufferSlice{mem.SliceBuffer(b)}, nil
}

func (l legacyCodec) Unmarshal(data mem.BufferSlice, v any) error {
	return l.Codec.Unmarshal(data.Materialize(), v)
}

// errMsgTooLarge is the status of a message over a size limit, worded as
// grpc-go words it.
func errMsgTooLarge(received bool, size, limit int) error {
	if received {
		return status.Errorf(codes.ResourceExhausted, "grpc: received message larger than max (%d vs. %d)", size, limit)
	}
	return status.Errorf(codes.ResourceExhausted, "grpc: trying to send message larger than max (%d vs. %d)", size, limit)
}
