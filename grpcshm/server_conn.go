package grpcshm

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/shmring"
)

// serverConn is the server side of one direct-path connection.
//
// One goroutine at a time reads the ring. A unary call whose request came
// whole runs on that goroutine, so a call costs no hand-off to another
// goroutine: the reader reads the request, runs the handler, writes the
// response and reads on. If the handler takes longer than relayAfter (more
// for a large request, see there), a timer starts a new reader and the old
// goroutine ends with its call, so a slow handler never holds up the
// connection's other calls for long.
// Streaming calls, and unary calls whose request comes in pieces, run on
// goroutines of their own.
type serverConn struct {
	*link
	s      *Server
	peer   *peer.Peer
	base   context.Context // ends when the connection does
	cancel context.CancelFunc

	mu       sync.Mutex // guards the fields below and every call's state
	calls    map[uint32]*serverCall
	lastID   uint32 // the newest call id seen
	draining bool   // go-away sent: no new calls
	closed   bool

	// Relay of the reading role (see above); gen and the timer's arming
	// belong to the goroutine that reads.
	busy      atomic.Uint64 // the generation of the call run inline, 0 when none
	gen       uint64
	relay     *time.Timer
	inlineReq atomic.Pointer[heldRequest] // the request of the call run inline, if it holds a frame
	held      *heldRequest                // set by handle: the frame just read stays held
	reqLen    int                         // set by handle: the request size of the call it returns to run inline
}

// relayAfter is how long a unary call may run on the reading goroutine
// before another goroutine takes over the reading, plus relayPerByte for
// each byte of its request: a call that has a large request to decode
// keeps the reading goroutine longer (1.15 ms for 1 MiB), since a takeover
// during its decoding only adds a second goroutine, spinning beside it on
// the machine's CPUs. Measured between two processes (tachyon-bench -only
// grpc-direct,grpc-unix -count 3, eight alternations with a plain 100 µs,
// 2026-12-06 22:10-22:17 UTC): unary 1 MiB p50 at a median 0.35× the Unix
// socket's instead of 0.41×; 32-byte calls, 16 callers and streaming did
// not change beyond the noise.
const (
	relayAfter   = 100 * time.Microsecond
	relayPerByte = time.Nanosecond
)

// helloTimeout bounds how long a new connection may take to send its
// hello frame.
const helloTimeout = 5 * time.Second

// serveDirect serves one direct-path connection on a goroutine of its own.
func (s *Server) serveDirect(c *conn.Conn) {
	go func() {
		sc, err := s.startDirect(c)
		if err != nil {
			c.Close()
			return
		}
		sc.readLoop()
	}()
}

// startDirect exchanges hellos and registers the connection.
func (s *Server) startDirect(c *conn.Conn) (*serverConn, error) {
	f, err := c.Frames(conn.WithFramesSpin(s.opts.spin), conn.WithFramesEarlyWrap(earlyWrapAt))
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), helloTimeout)
	defer cancel()
	fr, err := f.Next(ctx)
	if err != nil {
		return nil, err
	}
	h, err := decodeHello(fr.Payload)
	kind := fr.Type
	f.Release()
	if err != nil || kind != frameType(kindHello) {
		return nil, fmt.Errorf("%w: the client's first frame is not a hello", errBadFrame)
	}
	l := newLink(c, f, s.opts.window)
	l.peerWindow = h.window
	reply := helloFrame{version: directVersion, window: s.opts.window}
	if err := l.sendSmall(ctx, kindHello, 8, reply.encode); err != nil {
		return nil, err
	}
	if h.version != directVersion {
		return nil, fmt.Errorf("grpcshm: client speaks direct protocol version %d", h.version)
	}
	base, stop := context.WithCancel(context.Background())
	sc := &serverConn{link: l, s: s, base: base, cancel: stop, calls: make(map[uint32]*serverCall),
		peer: &peer.Peer{Addr: c.RemoteAddr(), LocalAddr: c.LocalAddr()}}
	if ai, ok := authInfo(c); ok {
		sc.peer.AuthInfo = ai
	}
	sc.relay = time.AfterFunc(time.Hour, sc.takeOver)
	sc.relay.Stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		stop()
		return nil, grpc.ErrServerStopped
	}
	s.conns[sc] = struct{}{}
	return sc, nil
}

// readLoop reads frames until the connection ends or another goroutine
// took over the reading.
func (sc *serverConn) readLoop() {
	for {
		fr, err := sc.f.Next(sc.base)
		if err != nil {
			sc.end()
			return
		}
		job, err := sc.handle(fr)
		held, reqLen := sc.held, sc.reqLen // job's request, if still in the frame, and its size
		sc.held, sc.reqLen = nil, 0
		if held == nil {
			sc.f.Release()
		}
		if err != nil {
			sc.end()
			return
		}
		if job != nil && !sc.inline(job, held, reqLen) {
			return // a new reader took over while job ran
		}
	}
}

// inline runs job on the reading goroutine; it reports whether this
// goroutine still reads afterwards. held is the request job decodes from
// the ring, if any: a takeover detaches it first. reqLen is the size of
// job's request.
func (sc *serverConn) inline(job func(), held *heldRequest, reqLen int) bool {
	sc.gen++
	g := sc.gen
	sc.inlineReq.Store(held)
	sc.busy.Store(g)
	sc.relay.Reset(relayAfter + time.Duration(reqLen)*relayPerByte)
	job()
	if sc.busy.CompareAndSwap(g, 0) {
		sc.relay.Stop()
		return true
	}
	return false
}

// takeOver starts a new reader when a call run inline takes too long,
// once the call's request no longer holds a frame.
func (sc *serverConn) takeOver() {
	if g := sc.busy.Load(); g != 0 && sc.busy.CompareAndSwap(g, 0) {
		if r := sc.inlineReq.Load(); r != nil {
			r.detach()
		}
		go sc.readLoop()
	}
}

// handle acts on one frame and returns a call to run inline, if any. It
// copies what it keeps, except a whole unary request in the proto codec,
// which the call decodes from the frame: then it sets held.
func (sc *serverConn) handle(fr shmring.Frame) (func(), error) {
	if fr.Type.Route() != directRoute {
		return nil, fmt.Errorf("%w: frame type %#x", errBadFrame, uint32(fr.Type))
	}
	switch kind := fr.Type.MsgType(); kind {
	case kindHeaders:
		return sc.onHeaders(fr.Payload)
	case kindMsg:
		return sc.onMsg(fr.Payload)
	case kindHalfClose, kindCancel, kindWindow:
		id, rest, err := decodeCall(fr.Payload)
		if err != nil {
			return nil, err
		}
		d := decoder{b: rest}
		var n uint32
		if kind == kindWindow {
			if n = d.u32(); d.err != nil {
				return nil, d.err
			}
		}
		sc.mu.Lock()
		call := sc.calls[id]
		sc.mu.Unlock()
		if call != nil {
			call.onControl(kind, n)
		}
		return nil, nil
	default:
		return nil, fmt.Errorf("%w: unexpected frame kind %d from the client", errBadFrame, kind)
	}
}

// onHeaders starts a call.
func (sc *serverConn) onHeaders(p []byte) (func(), error) {
	h, method, msg, err := decodeHeaders(p)
	if err != nil {
		return nil, err
	}
	sc.mu.Lock()
	// The client numbers calls as their headers go out, so ids grow.
	if h.call <= sc.lastID {
		sc.mu.Unlock()
		return nil, fmt.Errorf("%w: call id %d after %d", errBadFrame, h.call, sc.lastID)
	}
	sc.lastID = h.call
	draining := sc.draining
	sc.mu.Unlock()
	if draining {
		return sc.refuse(h.call, status.New(codes.Unavailable, "grpcshm: the server is shutting down")), nil
	}
	hd, err := sc.s.lookup(method)
	if err != nil {
		return sc.refuse(h.call, status.New(codes.Unimplemented, err.Error())), nil
	}
	h.method = hd.full
	svc, md, sd := hd.svc, hd.md, hd.sd
	cd, err := codecBySubtype(h.subtype)
	if err != nil {
		return sc.refuse(h.call, status.Convert(err)), nil
	}
	call := sc.newCall(h, cd)
	whole := h.flags&headersHasMsg != 0 && h.flags&headersEndStream != 0
	if md != nil && whole {
		sc.reqLen = len(msg)
		if cd.isProto {
			// Decoded straight from the ring (heldRequest). Other codecs
			// get a copy: they may keep what they are given.
			call.req.hold(sc.f, msg)
			sc.held = &call.req
		} else {
			call.req.keepCopy(msg)
		}
		return func() { call.serveUnary(svc, md) }, nil
	}
	sc.mu.Lock()
	if h.flags&headersHasMsg != 0 {
		call.in.add(msg, uint32(len(msg)), true)
	}
	call.halfClosed = h.flags&headersEndStream != 0
	sc.mu.Unlock()
	if md != nil {
		go call.serveUnaryStreamed(svc, md)
	} else {
		go call.serveStream(svc, sd)
	}
	return nil, nil
}

// onMsg queues a message chunk for its call.
func (sc *serverConn) onMsg(p []byte) (func(), error) {
	m, data, err := decodeMsg(p)
	if err != nil {
		return nil, err
	}
	sc.mu.Lock()
	call := sc.calls[m.call]
	if call != nil && !call.ended {
		call.in.add(data, m.msgLen, m.flags&msgEnd != 0)
		if m.flags&msgEndStr != 0 {
			call.halfClosed = true
		}
	}
	sc.mu.Unlock()
	if call != nil {
		wake(call.signal)
	}
	return nil, nil
}

// refuse ends a call that cannot be served with st.
func (sc *serverConn) refuse(id uint32, st *status.Status) func() {
	return func() { sc.sendStatus(id, st, nil) }
}

// sendStatus ends call id with st and trailer.
func (sc *serverConn) sendStatus(id uint32, st *status.Status, trailer metadata.MD) {
	f := statusFrameOf(id, st)
	f.trailer = trailer
	if f.size() > sc.chunk {
		f = statusFrame{call: id, code: uint32(codes.Internal), message: "grpcshm: status and trailers exceed a frame"}
	}
	sc.sendSmall(sc.base, kindStatus, f.size(), f.encode)
}

// goAway tells the client to make no new calls here; the connection
// closes after its last call.
func (sc *serverConn) goAway() {
	sc.mu.Lock()
	sc.draining = true
	last := sc.lastID
	idle := len(sc.calls) == 0
	sc.mu.Unlock()
	sc.sendCall(sc.base, kindGoAway, last)
	if idle {
		sc.close()
	}
}

// close closes the connection; its reader then ends every call.
func (sc *serverConn) close() { sc.c.Close() }

// end is the reader's end: every call is cancelled and the server forgets
// the connection.
func (sc *serverConn) end() {
	sc.mu.Lock()
	sc.closed = true
	calls := sc.calls
	sc.calls = map[uint32]*serverCall{}
	sc.mu.Unlock()
	sc.cancel()
	for _, call := range calls {
		call.abort()
	}
	sc.c.Close()
	s := sc.s
	s.mu.Lock()
	delete(s.conns, sc)
	s.idle.Broadcast()
	s.mu.Unlock()
}

// forget drops a finished call; a draining connection closes after its
// last one.
func (sc *serverConn) forget(call *serverCall) {
	sc.mu.Lock()
	delete(sc.calls, call.id)
	idle := sc.draining && len(sc.calls) == 0
	sc.mu.Unlock()
	if idle {
		sc.close()
	}
}
