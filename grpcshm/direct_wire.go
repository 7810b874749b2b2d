package grpcshm

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"google.golang.org/grpc/metadata"

	"github.com/tachyon-ipc/tachyon-go/shmring"
)

// The direct path's wire protocol (ABI.md §7): gRPC calls as frames of the
// connection's own rings, no HTTP/2. Every field is little-endian.

// DirectProtocol is the protocol a Channel names in its connection's hello
// (conn.WithProtocol): "GRPD". A Server serves connections that name it on
// the direct path and every other connection with HTTP/2.
const DirectProtocol uint32 = 0x44505247

// directVersion is the direct protocol's version, exchanged in the first
// frame each way.
const directVersion = 1

// directRoute is the route id (high 16 bits of the frame type) of every
// direct-path frame: "GD".
const directRoute = 0x4744

// Frame kinds (the low 16 bits of the frame type).
const (
	kindHello       = 1 // both ways, first frame: version, receive window
	kindHeaders     = 2 // client → server: a call starts
	kindMsg         = 3 // both ways: a chunk of a message
	kindHalfClose   = 4 // client → server: the client sends no more
	kindRespHeaders = 5 // server → client: response header metadata
	kindStatus      = 6 // server → client: the call's status and trailers; the call ends
	kindCancel      = 7 // client → server: the client abandoned the call
	kindWindow      = 8 // both ways: the receiver consumed message bytes
	kindGoAway      = 9 // server → client: no calls after the one named
)

func frameType(kind uint16) shmring.TypeID { return shmring.MakeTypeID(directRoute, kind) }

// Flags of a headers frame.
const (
	headersEndStream = 1 << 0 // the client sends nothing after this frame
	headersHasMsg    = 1 << 1 // a whole request message follows the metadata
)

// Flags of a message frame.
const (
	msgEnd    = 1 << 0 // the last chunk of its message
	msgEndsOK = 1 << 1 // server: the call ends with status OK and no trailers after this message
	msgEndStr = 1 << 2 // client: the client sends nothing after this message
)

// msgHeaderSize is the fixed part of a message frame: call id, flags, the
// whole message's length.
const msgHeaderSize = 12

// errBadFrame is wrapped by every error about a frame we cannot decode; it
// ends the connection.
var errBadFrame = errors.New("grpcshm: malformed direct-path frame")

// encoder appends fields to a frame being built.
type encoder []byte

func (e encoder) u16(v uint16) encoder { return binary.LittleEndian.AppendUint16(e, v) }
func (e encoder) u32(v uint32) encoder { return binary.LittleEndian.AppendUint32(e, v) }
func (e encoder) u64(v uint64) encoder { return binary.LittleEndian.AppendUint64(e, v) }

func (e encoder) str16(s string) encoder { return append(e.u16(uint16(len(s))), s...) }
func (e encoder) bytes32(b []byte) encoder {
	return append(e.u32(uint32(len(b))), b...)
}

// md appends a metadata block: a count, then each key and value (a key
// with several values appears once per value).
func (e encoder) md(md metadata.MD) encoder {
	n := 0
	for _, vs := range md {
		n += len(vs)
	}
	e = e.u32(uint32(n))
	for k, vs := range md {
		for _, v := range vs {
			e = append(e.str16(k).u32(uint32(len(v))), v...)
		}
	}
	return e
}

// mdSize is the encoded size of md.
func mdSize(md metadata.MD) int {
	n := 4
	for k, vs := range md {
		for _, v := range vs {
			n += 2 + len(k) + 4 + len(v)
		}
	}
	return n
}

// decoder reads fields of a received frame; the first short read sets err
// and every later read returns zeros.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.b) {
		d.err = fmt.Errorf("%w: %d bytes missing", errBadFrame, n-len(d.b))
		return nil
	}
	b := d.b[:n:n]
	d.b = d.b[n:]
	return b
}

func (d *decoder) u16() uint16 {
	if b := d.take(2); b != nil {
		return binary.LittleEndian.Uint16(b)
	}
	return 0
}

func (d *decoder) u32() uint32 {
	if b := d.take(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

func (d *decoder) u64() uint64 {
	if b := d.take(8); b != nil {
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

func (d *decoder) str16() string { return string(d.take(int(d.u16()))) }

func (d *decoder) bytes32() []byte {
	n := d.u32()
	if uint64(n) > uint64(len(d.b)) {
		d.err = fmt.Errorf("%w: a %d-byte field in a %d-byte rest", errBadFrame, n, len(d.b))
		return nil
	}
	return d.take(int(n))
}

// md reads a metadata block; keys are lower-cased as gRPC requires.
func (d *decoder) md() metadata.MD {
	n := d.u32()
	if d.err != nil || n == 0 {
		return nil
	}
	if uint64(n)*6 > uint64(len(d.b)) {
		d.err = fmt.Errorf("%w: %d metadata entries in %d bytes", errBadFrame, n, len(d.b))
		return nil
	}
	md := make(metadata.MD, n)
	for range n {
		k := d.str16()
		v := string(d.bytes32())
		if d.err != nil {
			return nil
		}
		md[k] = append(md[k], v)
	}
	return md
}

// helloFrame is the first frame each way.
type helloFrame struct {
	version uint32
	window  uint32 // the sender's receive window per call, in message bytes
}

func (h helloFrame) encode(b []byte) []byte {
	return encoder(b).u32(h.version).u32(h.window)
}

func decodeHello(p []byte) (helloFrame, error) {
	d := decoder{b: p}
	h := helloFrame{version: d.u32(), window: d.u32()}
	return h, d.err
}

// headersFrame starts a call.
type headersFrame struct {
	call    uint32
	flags   uint32
	timeout time.Duration // 0: none
	method  string
	subtype string // content subtype ("" for proto)
	md      metadata.MD
}

// headersSize is the encoded size of h, without an inline message.
func (h *headersFrame) size() int {
	return 4 + 4 + 8 + 2 + len(h.method) + 2 + len(h.subtype) + mdSize(h.md)
}

func (h *headersFrame) encode(b []byte) []byte {
	return encoder(b).u32(h.call).u32(h.flags).u64(uint64(h.timeout)).
		str16(h.method).str16(h.subtype).md(h.md)
}

// decodeHeaders decodes a headers frame but for its method name, which it
// returns as bytes of p (the server looks them up among the names it
// registered and sets h.method to the one it finds, which copies nothing);
// msg is the inline message, if the flags say there is one.
func decodeHeaders(p []byte) (h headersFrame, method, msg []byte, err error) {
	d := decoder{b: p}
	h.call, h.flags = d.u32(), d.u32()
	t := d.u64()
	method = d.take(int(d.u16()))
	h.subtype, h.md = d.str16(), d.md()
	if t > math.MaxInt64 {
		t = math.MaxInt64
	}
	h.timeout = time.Duration(t)
	if d.err == nil && h.flags&headersHasMsg != 0 {
		msg = d.b
	}
	return h, method, msg, d.err
}

// msgFrame is the fixed part of a message chunk.
type msgFrame struct {
	call   uint32
	flags  uint32
	msgLen uint32 // the whole message's length
}

func (m msgFrame) put(b []byte) {
	binary.LittleEndian.PutUint32(b[0:], m.call)
	binary.LittleEndian.PutUint32(b[4:], m.flags)
	binary.LittleEndian.PutUint32(b[8:], m.msgLen)
}

func decodeMsg(p []byte) (msgFrame, []byte, error) {
	if len(p) < msgHeaderSize {
		return msgFrame{}, nil, fmt.Errorf("%w: message frame of %d bytes", errBadFrame, len(p))
	}
	le := binary.LittleEndian
	return msgFrame{call: le.Uint32(p[0:]), flags: le.Uint32(p[4:]), msgLen: le.Uint32(p[8:])}, p[msgHeaderSize:], nil
}

// statusFrame ends a call.
type statusFrame struct {
	call    uint32
	code    uint32
	message string
	details []byte // a google.rpc.Status, as grpc-status-details-bin carries it
	trailer metadata.MD
}

func (s *statusFrame) size() int {
	return 4 + 4 + 4 + len(s.message) + 4 + len(s.details) + mdSize(s.trailer)
}

func (s *statusFrame) encode(b []byte) []byte {
	return encoder(b).u32(s.call).u32(s.code).bytes32([]byte(s.message)).bytes32(s.details).md(s.trailer)
}

func decodeStatus(p []byte) (statusFrame, error) {
	d := decoder{b: p}
	s := statusFrame{call: d.u32(), code: d.u32()}
	s.message = string(d.bytes32())
	if det := d.bytes32(); len(det) > 0 {
		s.details = append([]byte(nil), det...)
	}
	s.trailer = d.md()
	return s, d.err
}

// callFrame is a frame that names a call and perhaps one number: half-close,
// cancel, response headers (with metadata), window (with an increment),
// go-away (the last call served).
func decodeCall(p []byte) (call uint32, rest []byte, err error) {
	if len(p) < 4 {
		return 0, nil, fmt.Errorf("%w: %d-byte frame", errBadFrame, len(p))
	}
	return binary.LittleEndian.Uint32(p), p[4:], nil
}
