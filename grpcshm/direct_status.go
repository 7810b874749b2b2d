package grpcshm

import (
	"context"
	"errors"

	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// How statuses travel on the direct path: code and message always; the
// whole google.rpc.Status (with details) only when there are details, as
// HTTP/2 gRPC carries it in grpc-status-details-bin.

// statusFrameOf encodes st for call.
func statusFrameOf(call uint32, st *status.Status) statusFrame {
	s := statusFrame{call: call, code: uint32(st.Code()), message: st.Message()}
	if p := st.Proto(); len(p.GetDetails()) > 0 {
		if b, err := proto.Marshal(p); err == nil {
			s.details = b
		}
	}
	return s
}

// statusFromDetails decodes the google.rpc.Status a status frame carries.
func statusFromDetails(b []byte) (*status.Status, error) {
	p := new(spb.Status)
	if err := proto.Unmarshal(b, p); err != nil {
		return nil, err
	}
	return status.FromProto(p), nil
}

// statusOK ends every call that succeeds: a Status is immutable, so one
// serves them all.
var statusOK = status.New(codes.OK, "")

// handlerStatus is the status of a handler's error, as grpc-go's server
// derives it: a status error as it is, a context error as DeadlineExceeded
// or Canceled, anything else as Unknown.
func handlerStatus(err error) *status.Status {
	if err == nil {
		return statusOK
	}
	if st, ok := status.FromError(err); ok {
		return st
	}
	return status.FromContextError(err)
}

// callError is the error a client call reports when its own context ended:
// DeadlineExceeded or Canceled, as grpc-go reports them.
func callError(ctx context.Context, err error) error {
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || err == ctx.Err()) {
		return status.FromContextError(ctx.Err()).Err()
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	return status.Error(codes.Unavailable, err.Error())
}
