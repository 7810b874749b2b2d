package grpcshm

import (
	"context"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// A client call on the direct path: grpc.ClientStream over one clientCall.
// Unary calls (Invoke) are streams too: their request goes out in the very
// frame that starts the call, and their response comes back in one frame
// that also ends the call.

// Default message size limits, as grpc-go's.
const (
	defaultMaxRecvMsgSize = 4 << 20
	defaultMaxSendMsgSize = 1<<31 - 1
)

// callInfo is what a call's options say.
type callInfo struct {
	codec        codec
	maxRecv      int
	maxSend      int
	waitForReady bool
	header       []*metadata.MD
	trailer      []*metadata.MD
	peers        []*peer.Peer
	onFinish     []func(error)
}

func newCallInfo(defaults, opts []grpc.CallOption) (*callInfo, error) {
	ci := &callInfo{codec: protoCodec, maxRecv: defaultMaxRecvMsgSize, maxSend: defaultMaxSendMsgSize}
	subtype := ""
	for _, set := range [][]grpc.CallOption{defaults, opts} {
		for _, o := range set {
			switch o := o.(type) {
			case grpc.HeaderCallOption:
				ci.header = append(ci.header, o.HeaderAddr)
			case grpc.TrailerCallOption:
				ci.trailer = append(ci.trailer, o.TrailerAddr)
			case grpc.PeerCallOption:
				ci.peers = append(ci.peers, o.PeerAddr)
			case grpc.FailFastCallOption:
				ci.waitForReady = !o.FailFast
			case grpc.MaxRecvMsgSizeCallOption:
				ci.maxRecv = o.MaxRecvMsgSize
			case grpc.MaxSendMsgSizeCallOption:
				ci.maxSend = o.MaxSendMsgSize
			case grpc.OnFinishCallOption:
				ci.onFinish = append(ci.onFinish, o.OnFinish)
			case grpc.ContentSubtypeCallOption:
				subtype = o.ContentSubtype
			case grpc.ForceCodecV2CallOption:
				ci.codec = codecFor(o.CodecV2)
			case grpc.ForceCodecCallOption:
				ci.codec = codecFor(legacyCodec{o.Codec})
			}
		}
	}
	if subtype != "" && ci.codec == protoCodec {
		c, err := codecBySubtype(subtype)
		if err != nil {
			return nil, err
		}
		ci.codec = c
	}
	return ci, nil
}

// finish hands the call's results to its options.
func (ci *callInfo) finish(d *clientConn, c *clientCall, err error) {
	if d != nil && c != nil {
		d.mu.Lock()
		header, trailer := c.header, c.trailer
		d.mu.Unlock()
		for _, h := range ci.header {
			*h = header
		}
		for _, t := range ci.trailer {
			*t = trailer
		}
		for _, p := range ci.peers {
			*p = peer.Peer{Addr: d.c.RemoteAddr(), LocalAddr: d.c.LocalAddr()}
			if ai, ok := authInfo(d.c); ok {
				p.AuthInfo = ai
			}
		}
	}
	for _, f := range ci.onFinish {
		f(err)
	}
}

// clientStream is one call seen by the application.
type clientStream struct {
	ctx    context.Context
	d      *clientConn
	c      *clientCall
	ci     *callInfo
	desc   *grpc.StreamDesc
	method string

	sendMu     sync.Mutex  // serialises SendMsg and CloseSend, as grpc-go requires of callers anyway
	started    atomic.Bool // the headers frame went out; set under sendMu
	sendClosed bool        // the client sends nothing more
	stopWatch  func() bool

	recvMu   sync.Mutex
	finished bool
	result   error // the error RecvMsg keeps returning once finished
}

// newClientStream registers a call; the headers go out with the first
// message (or CloseSend, or the first RecvMsg).
func newClientStream(ctx context.Context, d *clientConn, desc *grpc.StreamDesc, method string, ci *callInfo) (*clientStream, error) {
	c, err := d.newCall(ci.maxRecv)
	if err != nil {
		return nil, err
	}
	cs := &clientStream{ctx: ctx, d: d, c: c, ci: ci, desc: desc, method: method}
	if desc.ClientStreams || desc.ServerStreams {
		// A stream outlives the calls that wait on it: cancel it when ctx
		// ends, even if nobody waits then.
		cs.stopWatch = context.AfterFunc(ctx, cs.abandon)
	}
	return cs, nil
}

// abandon ends the call from our side: the server is told to cancel it.
func (cs *clientStream) abandon() {
	d, c := cs.d, cs.c
	d.mu.Lock()
	live := !c.ended
	if live {
		c.end(status.FromContextError(cs.ctx.Err()), nil)
		wake(c.signal)
	}
	d.mu.Unlock()
	if live {
		cs.cancelRemote()
	}
}

// cancelRemote tells the server to cancel the call, once the call has
// ended on our side, if its headers went out. It reads started under
// sendMu, on a goroutine of its own since its callers may hold sendMu: a
// start racing with it either went first (and the cancel follows the
// headers) or sees the call ended and sends nothing.
func (cs *clientStream) cancelRemote() {
	go func() {
		cs.sendMu.Lock()
		started := cs.started.Load()
		cs.sendMu.Unlock()
		if started {
			cs.d.sendCall(context.Background(), kindCancel, cs.c.id)
		}
	}()
}

// start sends the headers frame, with msg inline when it fits one frame
// (msg may be nil).
func (cs *clientStream) start(msg any, flags uint32) (sentMsg bool, err error) {
	h := headersFrame{flags: flags, method: cs.method, subtype: cs.ci.codec.name()}
	if dl, ok := cs.ctx.Deadline(); ok {
		if h.timeout = time.Until(dl); h.timeout <= 0 {
			return false, status.FromContextError(context.DeadlineExceeded).Err()
		}
	}
	h.md, _ = metadata.FromOutgoingContext(cs.ctx)
	base := h.size()
	if base > cs.d.chunk {
		return false, status.Errorf(codes.ResourceExhausted, "grpcshm: request metadata of %d bytes exceeds a frame (%d bytes)", base, cs.d.chunk)
	}
	size := -1
	if msg != nil {
		size = cs.ci.codec.size(msg)
		if size > cs.ci.maxSend {
			return false, errMsgTooLarge(false, size, cs.ci.maxSend)
		}
	}
	fits := size >= 0 && base+size <= cs.d.chunk
	if fits {
		if got := cs.c.win.take(size); got < size {
			cs.c.win.add(uint32(got))
			fits = false
		}
	}
	// The call gets its id as its headers go out, under the write lock,
	// so the server sees ids in increasing order whatever order calls
	// start in.
	l := cs.d.link
	l.wmu.Lock()
	defer l.wmu.Unlock()
	if err := cs.d.register(cs.c); err != nil {
		return false, err
	}
	h.call = cs.c.id
	cs.started.Store(true)
	if !fits {
		h.flags &^= headersHasMsg
		if msg != nil {
			h.flags &^= headersEndStream // the message follows, and ends the stream
		}
		return false, l.sendFrameLocked(cs.ctx, kindHeaders, base, func(b []byte) int { return len(h.encode(b[:0])) })
	}
	h.flags |= headersHasMsg
	var merr error
	err = l.sendFrameLocked(cs.ctx, kindHeaders, base+size, func(b []byte) int {
		h.encode(b[:0])
		merr = cs.ci.codec.marshalInto(b[base:base+size], msg)
		return base + size
	})
	if merr != nil {
		return false, merr
	}
	return true, err
}

// SendMsg sends one request message.
func (cs *clientStream) SendMsg(m any) error {
	cs.sendMu.Lock()
	defer cs.sendMu.Unlock()
	if cs.sendClosed {
		return status.Error(codes.Internal, "grpcshm: SendMsg called after CloseSend")
	}
	// A call that does not stream requests sends exactly one: say so in
	// the same frame.
	last := !cs.desc.ClientStreams
	if !cs.started.Load() {
		flags := uint32(headersHasMsg)
		if last {
			flags |= headersEndStream
		}
		sent, err := cs.start(m, flags)
		if err != nil {
			return cs.sendFailed(err)
		}
		if sent {
			cs.sendClosed = last
			return nil
		}
	}
	flags := uint32(0)
	if last {
		flags = msgEndStr
	}
	err := cs.d.sendMsg(cs.ctx, cs.c.id, m, cs.ci.codec, &cs.c.win, cs.ci.maxSend, cs.waitWindow, flags)
	if err != nil {
		return cs.sendFailed(err)
	}
	cs.sendClosed = last
	return nil
}

// sendFailed maps a send error: io.EOF once the call ended (RecvMsg then
// reports its status), the call's own error otherwise.
func (cs *clientStream) sendFailed(err error) error {
	cs.d.mu.Lock()
	ended := cs.c.ended
	cs.d.mu.Unlock()
	if ended || err == io.EOF {
		return io.EOF
	}
	ctxErr := cs.ctx.Err()
	if dl, ok := cs.ctx.Deadline(); ctxErr == nil && ok && !time.Now().Before(dl) {
		ctxErr = context.DeadlineExceeded // passed, before ctx's own timer said so
	}
	if ctxErr != nil {
		// The call's context ended: as in grpc-go, the send reports io.EOF
		// and RecvMsg the call's DeadlineExceeded or Canceled.
		cs.fail(status.FromContextError(ctxErr).Err())
		return io.EOF
	}
	if _, ok := status.FromError(err); ok {
		cs.fail(err)
		return err
	}
	err = callError(cs.ctx, err)
	cs.fail(err)
	return err
}

// fail ends the call from our side with err.
func (cs *clientStream) fail(err error) {
	d, c := cs.d, cs.c
	d.mu.Lock()
	live := !c.ended
	if live {
		c.end(status.Convert(err), nil)
	}
	d.mu.Unlock()
	if live {
		cs.cancelRemote()
	}
}

// waitWindow waits until the server grants more window, or the call ends.
func (cs *clientStream) waitWindow() error {
	c := cs.c
	err := cs.d.waitFor(cs.ctx, c, nil, func() bool {
		c.win.mu.Lock()
		defer c.win.mu.Unlock()
		return c.win.avail > 0 || c.ended
	})
	if err != nil {
		return err
	}
	cs.d.mu.Lock()
	defer cs.d.mu.Unlock()
	if c.ended {
		return io.EOF
	}
	return nil
}

// CloseSend tells the server no more requests come.
func (cs *clientStream) CloseSend() error {
	cs.sendMu.Lock()
	defer cs.sendMu.Unlock()
	if cs.sendClosed {
		return nil
	}
	cs.sendClosed = true
	if !cs.started.Load() {
		if _, err := cs.start(nil, headersEndStream); err != nil {
			cs.sendFailed(err)
		}
		return nil
	}
	if err := cs.d.sendCall(cs.ctx, kindHalfClose, cs.c.id); err != nil {
		cs.sendFailed(err)
	}
	return nil // as grpc-go: errors surface from RecvMsg
}

// ensureStarted sends the headers of a call whose first act is to receive.
//
// A started call's receiver must not wait for sendMu: a SendMsg holds it
// while it waits for window, which may come only once this receiver
// consumed the server's responses (the server's handler being busy
// sending them).
func (cs *clientStream) ensureStarted() error {
	if cs.started.Load() {
		return nil
	}
	cs.sendMu.Lock()
	defer cs.sendMu.Unlock()
	if cs.started.Load() {
		return nil
	}
	flags := uint32(0)
	if !cs.desc.ClientStreams {
		flags = headersEndStream
		cs.sendClosed = true
	}
	_, err := cs.start(nil, flags)
	return err
}

// RecvMsg receives one response message; io.EOF once a streaming
// response ended with status OK, the status error otherwise.
func (cs *clientStream) RecvMsg(m any) error {
	cs.recvMu.Lock()
	defer cs.recvMu.Unlock()
	if cs.finished {
		return cs.result
	}
	if err := cs.ensureStarted(); err != nil {
		if err = cs.sendFailed(err); err != io.EOF {
			return cs.finish(err)
		}
		// The call ended before it started: recv reports its status.
	}
	err := cs.recv(m)
	if err == nil && !cs.desc.ServerStreams {
		// One response message: the call must now end, with its status.
		if err = cs.recv(nil); err == io.EOF {
			err = nil
		} else if err == nil {
			err = status.Error(codes.Internal, "grpcshm: the server sent more than one response message")
		}
		return cs.finish(err)
	}
	if err != nil {
		if err == io.EOF && !cs.desc.ServerStreams {
			err = status.Error(codes.Internal, "grpcshm: the server ended the call without a response message")
		}
		return cs.finish(err)
	}
	return nil
}

// recv waits for the next message (decoded into m, if not nil) or the end
// of the call: io.EOF for status OK, the status error otherwise.
func (cs *clientStream) recv(m any) error {
	d, c := cs.d, cs.c
	// If this goroutine ends up reading the ring, a message of ours that
	// comes whole in one frame is decoded straight from the ring.
	sink := recvSink{call: c, m: m, codec: cs.ci.codec}
	for {
		err := d.waitFor(cs.ctx, c, &sink, func() bool { return sink.done || c.in.ready() || c.ended })
		if err != nil {
			return callError(cs.ctx, err)
		}
		if sink.done {
			d.mu.Lock()
			var grant uint32
			if !c.ended {
				grant = c.in.grant()
			}
			d.mu.Unlock()
			if grant > 0 {
				d.sendCall(cs.ctx, kindWindow, c.id, grant)
			}
			if sink.err != nil {
				cs.fail(sink.err)
			}
			return sink.err
		}
		d.mu.Lock()
		msg, ok := c.in.pop()
		var grant uint32
		if !c.ended {
			grant = c.in.grant()
		}
		inErr, ended, st := c.in.err, c.ended, c.status
		d.mu.Unlock()
		if grant > 0 {
			d.sendCall(cs.ctx, kindWindow, c.id, grant) // a failure shows on the next wait
		}
		switch {
		case ok:
			err := error(nil)
			if m != nil {
				err = cs.ci.codec.unmarshal(msg, m)
			}
			putBuf(msg)
			if err != nil {
				cs.fail(err)
			}
			return err
		case inErr != nil:
			cs.fail(inErr)
			return status.Convert(inErr).Err()
		case ended:
			if st.Code() == codes.OK {
				return io.EOF
			}
			return st.Err()
		}
	}
}

// finish ends the stream for the application with err.
func (cs *clientStream) finish(err error) error {
	cs.finished, cs.result = true, err
	if cs.stopWatch != nil {
		cs.stopWatch()
	}
	if err != io.EOF && err != nil {
		if _, ok := status.FromError(err); !ok {
			err = status.Convert(err).Err()
			cs.result = err
		}
		// A call that ends on our side (its context ended while it
		// waited) is cancelled on the server too; once the status
		// arrived this does nothing.
		cs.fail(err)
	}
	cs.d.forget(cs.c)
	final := err
	if final == io.EOF {
		final = nil
	}
	cs.ci.finish(cs.d, cs.c, final)
	return cs.result
}

// Header waits for the response headers.
func (cs *clientStream) Header() (metadata.MD, error) {
	if err := cs.ensureStarted(); err != nil {
		return nil, err
	}
	c := cs.c
	if err := cs.d.waitFor(cs.ctx, c, nil, func() bool { return c.gotHeader }); err != nil {
		return nil, callError(cs.ctx, err)
	}
	cs.d.mu.Lock()
	defer cs.d.mu.Unlock()
	if c.header == nil && c.ended && c.status.Code() != codes.OK {
		return nil, c.status.Err()
	}
	return c.header, nil
}

// Trailer returns the trailers, once RecvMsg returned an error.
func (cs *clientStream) Trailer() metadata.MD {
	cs.d.mu.Lock()
	defer cs.d.mu.Unlock()
	return cs.c.trailer
}

// Context returns the call's context.
func (cs *clientStream) Context() context.Context { return cs.ctx }

var _ grpc.ClientStream = (*clientStream)(nil)
