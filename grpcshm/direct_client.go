package grpcshm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/shmring"
)

// clientConn is the client side of one direct-path connection.
//
// It has no reader goroutine: a call that waits for something (a message,
// its status, more send window) reads the ring itself if nobody else is
// reading, and hands frames of other calls to them as it goes (the leader
// of a leader/follower scheme). A lone call therefore reads its own
// response on its own goroutine, with no wake-up of another goroutine in
// this process; when several wait, one reads and wakes the others as their
// frames arrive, and hands the reading over when its own call is satisfied.
type clientConn struct {
	*link

	reader sync.Mutex // held by the call that reads the ring (TryLock only)

	mu       sync.Mutex // guards everything below and every call's state
	calls    map[uint32]*clientCall
	nextID   uint32
	waiters  map[*clientCall]struct{} // calls waiting; one of them takes over reading
	err      error                    // set once the connection failed or closed; final
	draining bool                     // the server sent go-away: no new calls here
	done     chan struct{}            // closed with err
}

// dialDirect connects to the server at path and exchanges the direct
// protocol's hellos.
func dialDirect(ctx context.Context, path string, window uint32, spin time.Duration, opts []conn.Option) (*clientConn, error) {
	c, err := conn.Dial(ctx, path, append(opts, conn.WithProtocol(DirectProtocol))...)
	if err != nil {
		return nil, err
	}
	d, err := startDirect(ctx, c, window, spin)
	if err != nil {
		c.Close()
		return nil, err
	}
	return d, nil
}

// startDirect switches c to frames and exchanges hellos.
func startDirect(ctx context.Context, c *conn.Conn, window uint32, spin time.Duration) (*clientConn, error) {
	f, err := c.Frames(conn.WithFramesSpin(spin), conn.WithFramesEarlyWrap(earlyWrapAt))
	if err != nil {
		return nil, err
	}
	l := newLink(c, f, window)
	hello := helloFrame{version: directVersion, window: window}
	if err := l.sendSmall(ctx, kindHello, 8, hello.encode); err != nil {
		return nil, err
	}
	fr, err := f.Next(ctx)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("grpcshm: the server closed the connection: it does not serve the direct path (is it a grpcshm.Server?)")
		}
		return nil, err
	}
	h, err := decodeHello(fr.Payload)
	kind := fr.Type
	f.Release()
	switch {
	case kind != frameType(kindHello):
		return nil, fmt.Errorf("%w: the server's first frame has type %#x, not a hello", errBadFrame, uint32(kind))
	case err != nil:
		return nil, err
	case h.version != directVersion:
		return nil, fmt.Errorf("grpcshm: the server speaks direct protocol version %d, we speak %d", h.version, directVersion)
	}
	l.peerWindow = h.window
	return &clientConn{link: l, calls: make(map[uint32]*clientCall), waiters: make(map[*clientCall]struct{}),
		done: make(chan struct{})}, nil
}

// clientCall is one call's state on the client; its fields are guarded by
// clientConn.mu.
type clientCall struct {
	d      *clientConn
	id     uint32
	signal chan struct{} // a frame for this call arrived, or the reading is ours to take
	win    window        // message bytes the server still accepts

	in        inbox
	header    metadata.MD
	gotHeader bool // response headers, a message or the status arrived
	ended     bool // the status arrived, or the call was abandoned
	status    *status.Status
	trailer   metadata.MD
}

// newCall makes a call that accepts messages of up to maxRecv bytes; it
// fails once the connection failed or drains. The call has no id until
// register gives it one.
func (d *clientConn) newCall(maxRecv int) (*clientCall, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return nil, d.err
	}
	if d.draining {
		return nil, errDraining
	}
	c := &clientCall{d: d, signal: make(chan struct{}, 1), in: newInbox(maxRecv, d.window)}
	c.win.avail = int64(d.peerWindow)
	return c, nil
}

// register gives c its id and enters it in the table, as its headers go
// out (the caller holds wmu until they did): the server requires ids in
// increasing order. It fails if c already ended (abandoned before it
// started: nothing goes out), or the connection failed or drains.
func (d *clientConn) register(c *clientCall) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case c.ended:
		return io.EOF
	case d.err != nil:
		return d.err
	case d.draining:
		return errDraining
	}
	d.nextID++
	c.id = d.nextID
	d.calls[c.id] = c
	return nil
}

// errDraining: the server is going away; the channel retries the call on a
// new connection.
var errDraining = status.Error(codes.Unavailable, "grpcshm: the server is shutting down this connection")

// forget drops a call from the table: its frames are ignored from now on.
func (d *clientConn) forget(c *clientCall) {
	d.mu.Lock()
	delete(d.calls, c.id)
	c.ended = true
	d.mu.Unlock()
}

func wake(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// waitFor blocks until cond (evaluated with d.mu held) holds, ctx ends, or
// the connection fails. While it waits it reads the ring if nobody else
// does.
func (d *clientConn) waitFor(ctx context.Context, c *clientCall, sink *recvSink, cond func() bool) error {
	defer d.passReading()
	for {
		d.mu.Lock()
		if cond() {
			d.mu.Unlock()
			return nil
		}
		if d.err != nil {
			err := d.err
			d.mu.Unlock()
			return err
		}
		d.waiters[c] = struct{}{}
		d.mu.Unlock()
		if d.reader.TryLock() {
			d.mu.Lock()
			delete(d.waiters, c)
			d.mu.Unlock()
			err := d.read(ctx, sink, cond)
			d.reader.Unlock()
			if err != nil {
				return err
			}
			continue
		}
		select {
		case <-c.signal:
		case <-ctx.Done():
		}
		d.mu.Lock()
		delete(d.waiters, c)
		d.mu.Unlock()
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// passReading wakes a waiting call to take over reading if nobody reads.
func (d *clientConn) passReading() {
	if !d.reader.TryLock() {
		return // someone reads
	}
	d.reader.Unlock()
	d.mu.Lock()
	for w := range d.waiters {
		wake(w.signal)
		break
	}
	d.mu.Unlock()
}

// read reads frames and hands them to their calls until cond holds; it
// returns ctx's error if ctx ends, or the connection's if it fails.
func (d *clientConn) read(ctx context.Context, sink *recvSink, cond func() bool) error {
	for {
		d.mu.Lock()
		ok, err := cond(), d.err
		d.mu.Unlock()
		if ok {
			return nil
		}
		if err != nil {
			return err
		}
		fr, err := d.f.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			d.fail(err)
			return d.err
		}
		if sink != nil && fr.Type == frameType(kindMsg) && d.decodeInPlace(fr.Payload, sink) {
			d.f.Release()
			continue
		}
		err = d.handle(fr)
		d.f.Release()
		if err != nil {
			d.fail(err)
			d.c.Close()
			return d.err
		}
	}
}

// recvSink is a call waiting in recv for a message while it may read the
// ring itself: a message for it that comes whole in one frame, with nothing
// queued before it, is decoded into m straight from the ring, with no copy.
type recvSink struct {
	call  *clientCall
	m     any // nil: the message is dropped (a unary call waiting for its end)
	codec codec
	done  bool  // a message was decoded (or dropped) in place
	err   error // the decoding's
}

// decodeInPlace decodes a message frame into sink if it can; it reports
// whether it did (otherwise handle queues the frame as usual).
func (d *clientConn) decodeInPlace(p []byte, sink *recvSink) bool {
	m, data, err := decodeMsg(p)
	c := sink.call
	if err != nil || m.call != c.id || m.flags&msgEnd == 0 || int(m.msgLen) != len(data) {
		return false
	}
	d.mu.Lock()
	if c.ended || !c.in.idle() || !c.in.consume(len(data)) {
		d.mu.Unlock()
		return false
	}
	c.gotHeader = true
	if m.flags&msgEndsOK != 0 {
		c.end(statusOK, nil)
	}
	d.mu.Unlock()
	if sink.m != nil {
		sink.err = sink.codec.unmarshal(data, sink.m)
	}
	sink.done = true
	return true
}

// handle hands one frame to its call.
func (d *clientConn) handle(fr shmring.Frame) error {
	if fr.Type.Route() != directRoute {
		return fmt.Errorf("%w: frame type %#x", errBadFrame, uint32(fr.Type))
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	switch kind := fr.Type.MsgType(); kind {
	case kindMsg:
		m, data, err := decodeMsg(fr.Payload)
		if err != nil {
			return err
		}
		if c := d.calls[m.call]; c != nil {
			c.in.add(data, m.msgLen, m.flags&msgEnd != 0)
			c.gotHeader = true
			if m.flags&msgEndsOK != 0 {
				c.end(statusOK, nil)
			}
			wake(c.signal)
		}
	case kindRespHeaders:
		id, rest, err := decodeCall(fr.Payload)
		if err != nil {
			return err
		}
		dec := decoder{b: rest}
		md := dec.md()
		if dec.err != nil {
			return dec.err
		}
		if c := d.calls[id]; c != nil && !c.gotHeader {
			c.header, c.gotHeader = md, true
			wake(c.signal)
		}
	case kindStatus:
		s, err := decodeStatus(fr.Payload)
		if err != nil {
			return err
		}
		if c := d.calls[s.call]; c != nil {
			c.end(statusOf(s), s.trailer)
			wake(c.signal)
		}
	case kindWindow:
		id, rest, err := decodeCall(fr.Payload)
		if err != nil {
			return err
		}
		dec := decoder{b: rest}
		n := dec.u32()
		if dec.err != nil {
			return dec.err
		}
		if c := d.calls[id]; c != nil {
			c.win.add(n)
			wake(c.signal)
		}
	case kindGoAway:
		last, _, err := decodeCall(fr.Payload)
		if err != nil {
			return err
		}
		d.draining = true
		for id, c := range d.calls {
			if id > last {
				c.end(status.Convert(errDraining), nil)
				wake(c.signal)
			}
		}
	default:
		return fmt.Errorf("%w: unexpected frame kind %d from the server", errBadFrame, kind)
	}
	return nil
}

// end records a call's status; guarded by d.mu.
func (c *clientCall) end(st *status.Status, trailer metadata.MD) {
	if c.ended {
		return
	}
	c.ended, c.gotHeader = true, true
	c.status, c.trailer = st, trailer
	delete(c.d.calls, c.id)
}

// fail ends the connection after an error: every call fails with err
// mapped to codes.Unavailable, and every waiter wakes.
func (d *clientConn) fail(err error) {
	d.shut(status.Errorf(codes.Unavailable, "grpcshm: connection lost: %v", err))
}

// close closes the connection; calls in flight fail with err.
func (d *clientConn) close(err error) {
	d.shut(err)
	d.c.Close()
}

// shut records the connection's final error, the first time only, ends
// every call with it and wakes every waiter.
func (d *clientConn) shut(err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return
	}
	d.err = err
	close(d.done)
	for _, c := range d.calls {
		c.end(status.Convert(err), nil)
		wake(c.signal)
	}
	for w := range d.waiters {
		wake(w.signal)
	}
}

// broken reports whether the connection can no longer carry calls.
func (d *clientConn) broken() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.err != nil || d.draining
}

// statusOf builds the status a status frame carries.
func statusOf(s statusFrame) *status.Status {
	if len(s.details) > 0 {
		if st, err := statusFromDetails(s.details); err == nil {
			return st
		}
	}
	return status.New(codes.Code(s.code), s.message)
}
