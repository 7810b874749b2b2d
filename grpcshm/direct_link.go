package grpcshm

import (
	"context"
	"sync"

	"github.com/tachyon-ipc/tachyon-go/conn"
)

// link is one direct-path connection's sending half and flow control,
// shared by the client and the server side: frames go out one at a time
// (a Frames view is acquired, filled and committed under wmu), messages
// larger than a frame go out in chunks, and each call's message bytes stay
// within the window its receiver granted.
type link struct {
	c *conn.Conn
	f *conn.Frames

	wmu   sync.Mutex // serialises senders: one acquired view at a time
	chunk int        // largest message chunk per frame

	window     uint32 // our receive window per call, announced in our hello
	peerWindow uint32 // the peer's, from its hello: each call's initial send window
}

// earlyWrapAt is where a direct connection's writes go back to the start
// of a ring its peer has emptied (conn.WithFramesEarlyWrap): calls of small
// messages then keep to the first 256 KiB of the 8 MiB rings, in cache
// lines that stay warm, and touch only those pages, and a 1 MiB message
// goes back to offset 0 once it would start 1.25 MiB or more into a ring
// its reader has emptied. Both ends keep reading: the
// server's reader always, a client whenever a call waits. Alternated with
// a build without it (tachyon-bench -only grpc-direct,grpc-unix,
// grpc-bufconn,shm-frames/ping-pong,shm-raw/ping-pong,unix/echo -count 3,
// three times each, 2026-12-07 04:15 UTC, medians of nine rounds): 16
// callers of 32 B made 122 k calls/s against 89 k/s, 4.6× and 3.5× gRPC
// over a Unix socket (26 k/s either way); the other rows within their
// rounds' spread. With the
// rule that keeps n bytes of room after a wrap, alternated again (04:56
// UTC): 123 against 95 k calls/s, 4.9× and 3.7× (Unix 26 and 27 k/s).
const earlyWrapAt = 256 << 10

func newLink(c *conn.Conn, f *conn.Frames, window uint32) *link {
	send, _ := c.RingSizes()
	// Half the ring per frame: a message that fits goes in one frame,
	// marshalled straight into the ring, and the next can follow.
	chunk := min(f.MaxPayload(), send/2) - msgHeaderSize
	return &link{c: c, f: f, chunk: chunk, window: window}
}

// sendFrame writes one frame of the given kind: fill writes its payload
// into a view of n bytes and returns how much it used. ctx bounds the wait
// for room in the ring.
func (l *link) sendFrame(ctx context.Context, kind uint16, n int, fill func(b []byte) int) error {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	return l.sendFrameLocked(ctx, kind, n, fill)
}

// sendFrameLocked is sendFrame for a caller that holds wmu.
func (l *link) sendFrameLocked(ctx context.Context, kind uint16, n int, fill func(b []byte) int) error {
	b, err := l.f.Acquire(ctx, n)
	if err != nil {
		return err
	}
	return l.f.Commit(fill(b), frameType(kind))
}

// sendSmall writes a frame whose payload enc builds (metadata-carrying
// frames, control frames). It fails if the payload is larger than a frame.
func (l *link) sendSmall(ctx context.Context, kind uint16, size int, enc func(b []byte) []byte) error {
	return l.sendFrame(ctx, kind, size, func(b []byte) int { return len(enc(b[:0])) })
}

// sendCall writes a frame that only names a call (half-close, cancel) or a
// call and a number (window).
func (l *link) sendCall(ctx context.Context, kind uint16, call uint32, n ...uint32) error {
	return l.sendSmall(ctx, kind, 4+4*len(n), func(b []byte) []byte {
		e := encoder(b).u32(call)
		for _, v := range n {
			e = e.u32(v)
		}
		return e
	})
}

// window is one call's send window: how many message bytes the receiver
// still accepts. wait blocks until it may have grown (or the call ended).
type window struct {
	mu    sync.Mutex
	avail int64
}

func (w *window) add(n uint32) {
	w.mu.Lock()
	w.avail += int64(n)
	w.mu.Unlock()
}

// reserve takes n bytes of the window, waiting for them as needed; on
// error it gives back what it took.
func (w *window) reserve(n int, wait func() error) error {
	for got := 0; got < n; {
		if got += w.take(n - got); got < n {
			if err := wait(); err != nil {
				w.add(uint32(got))
				return err
			}
		}
	}
	return nil
}

// take reserves up to n bytes of the window and returns how many.
func (w *window) take(n int) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	k := int(min(int64(n), max(w.avail, 0)))
	w.avail -= int64(k)
	return k
}

// sendMsg sends v as one message of call, chunk by chunk within win; wait
// blocks until win may have grown and fails once the call can no longer
// send. last is or-ed into the flags of the last chunk. A proto message that
// fits one frame is marshalled straight into the ring.
func (l *link) sendMsg(ctx context.Context, call uint32, v any, cd codec, win *window, limit int, wait func() error, last uint32) error {
	size := cd.size(v)
	// One frame needs the whole message's window at once, which a message
	// larger than the peer's window never gets: chunk it then.
	if size < 0 || size > l.chunk || int64(size) > int64(l.peerWindow) {
		data, err := cd.marshal(v)
		if err != nil {
			return err
		}
		defer putBuf(data)
		if len(data) > limit {
			return errMsgTooLarge(false, len(data), limit)
		}
		return l.sendBytes(ctx, call, data, win, wait, last)
	}
	if size > limit {
		return errMsgTooLarge(false, size, limit)
	}
	if err := win.reserve(size, wait); err != nil {
		return err
	}
	var merr error
	err := l.sendFrame(ctx, kindMsg, msgHeaderSize+size, func(b []byte) int {
		msgFrame{call: call, flags: msgEnd | last, msgLen: uint32(size)}.put(b)
		merr = cd.marshalInto(b[msgHeaderSize:msgHeaderSize+size], v)
		return msgHeaderSize + size
	})
	if merr != nil {
		return merr // the frame carries garbage: the caller ends the call
	}
	return err
}

// sendBytes sends data as one message of call in chunks.
func (l *link) sendBytes(ctx context.Context, call uint32, data []byte, win *window, wait func() error, last uint32) error {
	total := len(data)
	for off := 0; ; {
		n := min(total-off, l.chunk)
		if n > 0 {
			if n = win.take(n); n == 0 {
				if err := wait(); err != nil {
					return err
				}
				continue
			}
		}
		flags := uint32(0)
		if off+n == total {
			flags = msgEnd | last
		}
		chunk := data[off : off+n]
		err := l.sendFrame(ctx, kindMsg, msgHeaderSize+n, func(b []byte) int {
			msgFrame{call: call, flags: flags, msgLen: uint32(total)}.put(b)
			return msgHeaderSize + copy(b[msgHeaderSize:], chunk)
		})
		if err != nil {
			return err
		}
		if off += n; off == total {
			return nil
		}
	}
}
