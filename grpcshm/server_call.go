package grpcshm

import (
	"context"
	"errors"
	"io"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// serverCall is one call on the server's direct path: the handler's
// grpc.ServerStream and the grpc.ServerTransportStream that grpc.SetHeader,
// grpc.SendHeader and grpc.SetTrailer find in its context.
type serverCall struct {
	sc     *serverConn
	id     uint32
	method string
	ctx    context.Context
	cancel context.CancelFunc
	codec  codec
	win    window        // message bytes the client still accepts
	signal chan struct{} // a frame for this call arrived, or the call ended
	req    heldRequest   // a unary request that came whole

	// Guarded by sc.mu.
	in         inbox
	halfClosed bool // the client sends no more
	ended      bool // cancelled by the client, or the connection ended

	ts transportStream // what grpc.SetHeader and friends find in ctx

	// The handler's goroutine only.
	header     metadata.MD
	headerSent bool
	trailer    metadata.MD
}

// newCall registers a call and builds its handler's context: the
// connection's, with the client's deadline, metadata and peer.
func (sc *serverConn) newCall(h headersFrame, cd codec) *serverCall {
	call := &serverCall{sc: sc, id: h.call, method: h.method, codec: cd, signal: make(chan struct{}, 1),
		in: newInbox(sc.s.opts.maxRecv, sc.window)}
	call.win.avail = int64(sc.peerWindow)
	ctx := sc.base
	if h.timeout > 0 {
		ctx, call.cancel = context.WithTimeout(ctx, h.timeout)
	} else {
		ctx, call.cancel = context.WithCancel(ctx)
	}
	if len(h.md) > 0 {
		ctx = metadata.NewIncomingContext(ctx, h.md)
	}
	ctx = peer.NewContext(ctx, sc.peer)
	call.ts.call = call
	call.ctx = grpc.NewContextWithServerTransportStream(ctx, &call.ts)
	sc.mu.Lock()
	sc.calls[call.id] = call
	sc.mu.Unlock()
	return call
}

// onControl acts on a half-close, cancel or window frame for this call.
func (call *serverCall) onControl(kind uint16, n uint32) {
	switch kind {
	case kindHalfClose:
		call.sc.mu.Lock()
		call.halfClosed = true
		call.sc.mu.Unlock()
	case kindCancel:
		call.abort()
		call.sc.forget(call)
		return
	case kindWindow:
		call.win.add(n)
	}
	wake(call.signal)
}

// abort ends the call from the client's side: its handler's context ends.
func (call *serverCall) abort() {
	call.sc.mu.Lock()
	call.ended = true
	call.sc.mu.Unlock()
	call.cancel()
	wake(call.signal)
}

// serveUnary runs a unary handler on a request that arrived whole.
func (call *serverCall) serveUnary(svc *service, md *grpc.MethodDesc) {
	limit := call.sc.s.opts.maxRecv
	dec := func(m any) error {
		return call.req.decode(func(req []byte) error {
			if len(req) > limit {
				return errMsgTooLarge(true, len(req), limit)
			}
			return call.codec.unmarshal(req, m)
		})
	}
	resp, err := md.Handler(svc.impl, call.ctx, dec, call.sc.s.opts.unaryInt)
	call.req.drop()
	call.finishUnary(resp, err)
}

// serveUnaryStreamed runs a unary handler whose request arrives in chunks,
// on a goroutine of its own: it grants window back as it reads them.
func (call *serverCall) serveUnaryStreamed(svc *service, md *grpc.MethodDesc) {
	dec := func(m any) error {
		if err := call.RecvMsg(m); err != nil {
			if err == io.EOF {
				return status.Error(codes.Internal, "grpcshm: the client sent no request message")
			}
			return err
		}
		return nil
	}
	resp, err := md.Handler(svc.impl, call.ctx, dec, call.sc.s.opts.unaryInt)
	call.finishUnary(resp, err)
}

// finishUnary sends a unary call's response: the message and, in the same
// frame, the end of the call when there are no trailers.
func (call *serverCall) finishUnary(resp any, err error) {
	defer call.finish()
	if err != nil {
		call.end(handlerStatus(err))
		return
	}
	if err := call.flushHeader(); err != nil {
		return
	}
	flags := uint32(0)
	if len(call.trailer) == 0 {
		flags = msgEndsOK
	}
	sc := call.sc
	if err := sc.sendMsg(sc.base, call.id, resp, call.codec, &call.win, sc.s.opts.maxSend, call.waitWindow, flags); err != nil {
		call.end(status.Convert(err))
		return
	}
	if flags == 0 {
		call.end(statusOK)
	}
}

// serveStream runs a streaming handler on a goroutine of its own.
func (call *serverCall) serveStream(svc *service, sd *grpc.StreamDesc) {
	defer call.finish()
	var err error
	if si := call.sc.s.opts.streamInt; si != nil {
		info := &grpc.StreamServerInfo{FullMethod: call.method, IsClientStream: sd.ClientStreams, IsServerStream: sd.ServerStreams}
		err = si(svc.impl, call, info, sd.Handler)
	} else {
		err = sd.Handler(svc.impl, call)
	}
	call.end(handlerStatus(err))
}

// end sends the call's status with its trailers (and its headers first,
// if they were set but not sent).
func (call *serverCall) end(st *status.Status) {
	if call.isEnded() {
		return // the client cancelled: it listens no more
	}
	if st.Code() == codes.OK {
		call.flushHeader()
	}
	call.sc.sendStatus(call.id, st, call.trailer)
}

// finish forgets the call and releases its context.
func (call *serverCall) finish() {
	call.cancel()
	call.sc.forget(call)
}

func (call *serverCall) isEnded() bool {
	call.sc.mu.Lock()
	defer call.sc.mu.Unlock()
	return call.ended
}

// waitWindow waits until the client grants more window or the call ends.
func (call *serverCall) waitWindow() error {
	select {
	case <-call.signal:
	case <-call.ctx.Done():
	}
	if call.isEnded() {
		return status.FromContextError(context.Canceled).Err()
	}
	return nil
}

// flushHeader sends the response headers if some were set and none sent.
func (call *serverCall) flushHeader() error {
	if call.headerSent || len(call.header) == 0 {
		return nil
	}
	return call.sendHeader()
}

func (call *serverCall) sendHeader() error {
	call.headerSent = true
	md := call.header
	size := 4 + mdSize(md)
	if size > call.sc.chunk {
		return status.Errorf(codes.Internal, "grpcshm: response headers of %d bytes exceed a frame", size)
	}
	return call.sc.sendSmall(call.sc.base, kindRespHeaders, size, func(b []byte) []byte {
		return encoder(b).u32(call.id).md(md)
	})
}

// errHeaderSent is grpc-go's error for headers set after they went out.
var errHeaderSent = errors.New("transport: the stream is done or WriteHeader was already called")

// SetHeader adds header metadata, sent before the first message.
func (call *serverCall) SetHeader(md metadata.MD) error {
	if call.headerSent {
		return errHeaderSent
	}
	if len(md) > 0 {
		call.header = metadata.Join(call.header, md)
	}
	return nil
}

// SendHeader sends the header metadata now.
func (call *serverCall) SendHeader(md metadata.MD) error {
	if err := call.SetHeader(md); err != nil {
		return err
	}
	return call.sendHeader()
}

// SetTrailer adds trailer metadata, sent with the status.
func (call *serverCall) SetTrailer(md metadata.MD) {
	if len(md) > 0 {
		call.trailer = metadata.Join(call.trailer, md)
	}
}

// transportStream is a call as grpc.ServerTransportStream, whose
// SetTrailer returns an error where grpc.ServerStream's does not.
type transportStream struct{ call *serverCall }

func (t *transportStream) Method() string                  { return t.call.method }
func (t *transportStream) SetHeader(md metadata.MD) error  { return t.call.SetHeader(md) }
func (t *transportStream) SendHeader(md metadata.MD) error { return t.call.SendHeader(md) }
func (t *transportStream) SetTrailer(md metadata.MD) error {
	t.call.SetTrailer(md)
	return nil
}

// Context returns the handler's context.
func (call *serverCall) Context() context.Context { return call.ctx }

// SendMsg sends one response message.
func (call *serverCall) SendMsg(m any) error {
	if call.isEnded() {
		return status.FromContextError(call.ctx.Err()).Err()
	}
	if err := call.flushHeader(); err != nil {
		return err
	}
	sc := call.sc
	return sc.sendMsg(sc.base, call.id, m, call.codec, &call.win, sc.s.opts.maxSend, call.waitWindow, 0)
}

// RecvMsg receives one request message; io.EOF once the client sends no
// more.
func (call *serverCall) RecvMsg(m any) error {
	sc := call.sc
	for {
		sc.mu.Lock()
		msg, ok := call.in.pop()
		grant := call.in.grant()
		inErr, halfClosed, ended := call.in.err, call.halfClosed, call.ended
		idle := len(call.in.msgs) == 0 && call.in.asm == nil
		sc.mu.Unlock()
		if grant > 0 && !ended {
			sc.sendCall(sc.base, kindWindow, call.id, grant)
		}
		switch {
		case ok:
			err := call.codec.unmarshal(msg, m)
			putBuf(msg)
			return err
		case inErr != nil:
			return status.Convert(inErr).Err()
		case ended:
			return status.FromContextError(context.Canceled).Err()
		case idle && halfClosed:
			return io.EOF
		}
		select {
		case <-call.signal:
		case <-call.ctx.Done():
			if !call.isEnded() {
				return status.FromContextError(call.ctx.Err()).Err()
			}
		}
	}
}

var _ grpc.ServerStream = (*serverCall)(nil)
