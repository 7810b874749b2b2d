package grpcshm

import (
	"time"

	"google.golang.org/grpc"

	"github.com/tachyon-ipc/tachyon-go/conn"
)

// The options of a Channel and the direct path's defaults.

// ChannelOption configures a Channel.
type ChannelOption func(*channelOptions)

type channelOptions struct {
	connOpts []conn.Option
	unary    []grpc.UnaryClientInterceptor
	stream   []grpc.StreamClientInterceptor
	callOpts []grpc.CallOption
	dialOpts []grpc.DialOption
	window   uint32
	spin     time.Duration
}

// DefaultWindow is each direct-path call's receive window: the message
// bytes a sender may have in flight before the receiver consumes them, and
// so the most a call whose receiver stops reading holds in memory. 8 MiB
// lets a 1 MiB message stream keep several messages in flight, so one
// process marshals the next while the other unmarshals the last; it is the
// static window grpcshm's HTTP/2 tuning sets too (Window).
const DefaultWindow = 8 << 20

// WithConnOptions sets the options of the Channel's shared-memory
// connections (conn.WithSpin, conn.WithRingSize, ...).
func WithConnOptions(opts ...conn.Option) ChannelOption {
	return func(o *channelOptions) { o.connOpts = append(o.connOpts, opts...) }
}

// WithUnaryInterceptors adds unary client interceptors, run in order, the
// first outermost, as grpc.WithChainUnaryInterceptor does. They receive a
// nil *grpc.ClientConn.
func WithUnaryInterceptors(i ...grpc.UnaryClientInterceptor) ChannelOption {
	return func(o *channelOptions) { o.unary = append(o.unary, i...) }
}

// WithStreamInterceptors adds stream client interceptors, likewise.
func WithStreamInterceptors(i ...grpc.StreamClientInterceptor) ChannelOption {
	return func(o *channelOptions) { o.stream = append(o.stream, i...) }
}

// WithDefaultCallOptions sets call options applied to every call before its
// own, as grpc.WithDefaultCallOptions does.
func WithDefaultCallOptions(opts ...grpc.CallOption) ChannelOption {
	return func(o *channelOptions) { o.callOpts = append(o.callOpts, opts...) }
}

// WithGRPCDialOptions sets the options of the grpc.ClientConn a Channel
// uses for a target that is not local (credentials, for instance).
func WithGRPCDialOptions(opts ...grpc.DialOption) ChannelOption {
	return func(o *channelOptions) { o.dialOpts = append(o.dialOpts, opts...) }
}

// DirectRingSize is the ring capacity per direction a Channel asks for,
// and the largest Listen grants: 8 MiB, so a direct connection maps up to
// 16 MiB of shared memory. A 1 MiB message then travels in one frame,
// marshalled straight into the ring. Pages are touched only as the rings
// are used, though a busy connection's frames go round its whole rings in
// time; ask for less with WithConnOptions(conn.WithRingSize(n)).
//
// Why not 4 MiB: a server that streams 1 MiB messages fills such a ring,
// and then waits for room before each message, which the client frees one
// message at a time, each time waking the server: 0.8 wake-ups between the
// processes per message. With 8 MiB rings the call's window (DefaultWindow)
// stops the server first, the ring-room wake-ups disappear, and a window
// update every two messages is left (Conn.Stats, one run each). In
// interleaved runs (tachyon-bench -only grpc-direct,grpc-unix,
// grpc-bufconn -count 3, alternated three times, 2026-12-07 03:39 UTC),
// server streaming of 1 MiB messages moved 2.87 GB/s with 8 MiB rings
// against 1.87 GB/s with 4 MiB ones (medians of nine rounds), 3.90× and
// 2.73× gRPC over a Unix socket (0.74 and 0.66 GB/s); in a second
// alternation (four each, 03:42 UTC) 2.36 against 2.15 GB/s, 3.15× and
// 2.90×. The cost, besides memory: a fresh ring's pages fault in on
// their first pass, and small calls once went round the whole ring (16
// callers then made 76–84 k calls/s against 90–98 k/s, 3.5× against
// 3.7–4.4× the Unix socket). Early wrap (earlyWrapAt) keeps them near the
// start now; with it, alternated with a build asking for 4 MiB (-only
// grpc-direct/unary-c16,grpc-unix/unary-c16,grpc-direct/stream,
// grpc-unix/stream -count 3, three each, 05:24 UTC), 16 callers made 5.2×
// against 5.0× the Unix socket's calls/s, and the stream 3.93× against
// 2.74× (2.80 against 1.93 GB/s; the Unix socket 0.67 and 0.69).
const DirectRingSize = 8 << 20

// DefaultSpin is how long a direct-path call, or the server's reader,
// spins on the ring before it parks. It is longer than conn's default (20
// µs) because a direct call's round trip, with the handler's work, often
// outlasts that: a side that parks makes its peer's next wait include a
// wake-up (tens of µs on a busy VM), so the peer parks too, and every call
// then pays two wake-ups. A budget that covers a round trip avoids that at
// the price of up to this much CPU per idle wait (the budget adapts and
// shrinks on an idle connection).
const DefaultSpin = 100 * time.Microsecond

// WithSpin sets the direct path's spin budget on the client (default
// DefaultSpin; see conn.WithFramesSpin).
func WithSpin(d time.Duration) ChannelOption {
	return func(o *channelOptions) { o.spin = max(d, 0) }
}

// WithWindow sets each call's receive window in bytes (default
// DefaultWindow): how much a peer may send ahead of what the application
// received, per call.
func WithWindow(n int) ChannelOption {
	return func(o *channelOptions) { o.window = uint32(max(n, 64<<10)) }
}
