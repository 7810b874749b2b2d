package grpcshm

import (
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tachyon-ipc/tachyon-go/conn"
)

// heldRequest is a unary request that came whole in one frame, decoded by
// its handler straight from the ring. The reading goroutine runs such a
// call inline (serverConn.inline) and keeps the frame instead of copying
// the request out; the handler's decode releases it. If the reading role
// moves to another goroutine first (serverConn.takeOver), detach copies the
// request out and releases the frame, so reading goes on and the handler
// decodes the copy.
//
// Generated handlers decode once, before any interceptor runs, so the frame
// is normally held for one unmarshal. A second decode of the same request
// finds nothing and fails with codes.Internal.
type heldRequest struct {
	mu     sync.Mutex
	f      *conn.Frames // the frame's reader while it is held, else nil
	msg    []byte       // the request: in the ring while held, then a pooled copy, then nil
	copied bool         // msg is a pooled copy
}

// keepCopy takes a pooled copy of the request msg.
func (r *heldRequest) keepCopy(msg []byte) {
	r.msg, r.copied = append(getBuf(len(msg)), msg...), true
}

// hold takes the request msg of the frame f is holding.
func (r *heldRequest) hold(f *conn.Frames, msg []byte) {
	r.f, r.msg = f, msg
}

// decode runs unmarshal on the request, then lets the request go.
func (r *heldRequest) decode(unmarshal func([]byte) error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.msg == nil && r.f == nil {
		return status.Error(codes.Internal, "grpcshm: the request message was decoded already")
	}
	err := unmarshal(r.msg)
	r.dropLocked()
	return err
}

// detach copies a held request out of the ring and releases its frame.
func (r *heldRequest) detach() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f != nil {
		r.keepCopy(r.msg)
		r.f.Release()
		r.f = nil
	}
}

// drop lets the request go if the handler never decoded it.
func (r *heldRequest) drop() {
	r.mu.Lock()
	r.dropLocked()
	r.mu.Unlock()
}

func (r *heldRequest) dropLocked() {
	if r.f != nil {
		r.f.Release()
		r.f = nil
	} else if r.copied {
		putBuf(r.msg)
		r.copied = false
	}
	r.msg = nil
}
