package grpcshm

import (
	"time"

	"google.golang.org/grpc"
)

// ServerOption configures a Server.
type ServerOption func(*serverOptions)

type serverOptions struct {
	unary    []grpc.UnaryServerInterceptor
	stream   []grpc.StreamServerInterceptor
	maxRecv  int
	maxSend  int
	window   uint32
	spin     time.Duration
	grpcOpts []grpc.ServerOption

	unaryInt  grpc.UnaryServerInterceptor  // the chain, nil without interceptors
	streamInt grpc.StreamServerInterceptor // likewise
}

// WithUnaryServerInterceptors adds unary server interceptors, run in order,
// the first outermost, on both paths.
func WithUnaryServerInterceptors(i ...grpc.UnaryServerInterceptor) ServerOption {
	return func(o *serverOptions) { o.unary = append(o.unary, i...) }
}

// WithStreamServerInterceptors adds stream server interceptors, likewise.
func WithStreamServerInterceptors(i ...grpc.StreamServerInterceptor) ServerOption {
	return func(o *serverOptions) { o.stream = append(o.stream, i...) }
}

// WithMaxMessageSizes sets the largest message the server receives
// (default 4 MiB, as grpc-go's) and sends (default unlimited), on both
// paths; a larger one fails its call with codes.ResourceExhausted.
func WithMaxMessageSizes(recv, send int) ServerOption {
	return func(o *serverOptions) { o.maxRecv, o.maxSend = recv, send }
}

// WithServerWindow sets each direct-path call's receive window on the
// server (default DefaultWindow).
func WithServerWindow(n int) ServerOption {
	return func(o *serverOptions) { o.window = uint32(max(n, 64<<10)) }
}

// WithServerSpin sets the direct path's spin budget on the server (default
// DefaultSpin).
func WithServerSpin(d time.Duration) ServerOption {
	return func(o *serverOptions) { o.spin = max(d, 0) }
}

// WithGRPCServerOptions adds options of the grpc.Server that serves HTTP/2
// clients (keepalive, stats handlers, ...). The interceptors and sizes
// above are passed to it already.
func WithGRPCServerOptions(opts ...grpc.ServerOption) ServerOption {
	return func(o *serverOptions) { o.grpcOpts = append(o.grpcOpts, opts...) }
}
