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

// DirectRingSize is the ring capacity per direction a Channel asks for (the
// listener grants up to conn.DefaultMaxRingSize, 4 MiB, by default): a 1 MiB
// message then travels in one frame, marshalled straight into the ring.
// Pages are touched only as the rings are used, though a busy connection's
// frames go round its whole rings in time.
//
// A stream of messages near a quarter of the ring gains from larger rings,
// which let the sender stay further ahead of the receiver: server streaming
// of 1 MiB messages moved 1.89–2.41 GB/s with these rings and 2.55–2.76
// GB/s with 8 MiB ones, at twice the memory, while gRPC over a Unix socket
// moved 0.62–0.74 GB/s in the same runs (go test ./grpcshm -run '^$' -bench
// 'GRPC/^stream-1MiB$' -args -grpc.only direct,unix -grpc.ring N,
// alternated three times, 2026-12-06 21:44 UTC). To have them, pass
// WithConnOptions(conn.WithRingSize(8<<20)) to NewChannel and
// listener.WithConnOptions(conn.WithMaxRingSize(8<<20)) to Listen.
const DirectRingSize = 4 << 20

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
