package grpcshm

import (
	"context"

	"google.golang.org/grpc"
)

// Interceptor chains of the direct path, the first interceptor outermost, as
// grpc.WithChainUnaryInterceptor and grpc.ChainUnaryInterceptor chain them.

// chainUnaryClient wraps invoker in interceptors, the first outermost.
func chainUnaryClient(ints []grpc.UnaryClientInterceptor, invoker grpc.UnaryInvoker) grpc.UnaryInvoker {
	for i := len(ints) - 1; i >= 0; i-- {
		ic, next := ints[i], invoker
		invoker = func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, opts ...grpc.CallOption) error {
			return ic(ctx, method, req, reply, cc, next, opts...)
		}
	}
	return invoker
}

// chainStreamClient wraps streamer in interceptors, the first outermost.
func chainStreamClient(ints []grpc.StreamClientInterceptor, streamer grpc.Streamer) grpc.Streamer {
	for i := len(ints) - 1; i >= 0; i-- {
		ic, next := ints[i], streamer
		streamer = func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
			return ic(ctx, desc, cc, method, next, opts...)
		}
	}
	return streamer
}

// chainUnaryServer composes interceptors, the first outermost.
func chainUnaryServer(ints []grpc.UnaryServerInterceptor) grpc.UnaryServerInterceptor {
	if len(ints) == 0 {
		return nil
	}
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		return ints[0](ctx, req, info, unaryStep(ints, 1, info, handler))
	}
}

func unaryStep(ints []grpc.UnaryServerInterceptor, i int, info *grpc.UnaryServerInfo, final grpc.UnaryHandler) grpc.UnaryHandler {
	if i == len(ints) {
		return final
	}
	return func(ctx context.Context, req any) (any, error) {
		return ints[i](ctx, req, info, unaryStep(ints, i+1, info, final))
	}
}

// chainStreamServer composes interceptors, the first outermost.
func chainStreamServer(ints []grpc.StreamServerInterceptor) grpc.StreamServerInterceptor {
	if len(ints) == 0 {
		return nil
	}
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		return ints[0](srv, ss, info, streamStep(ints, 1, info, handler))
	}
}

func streamStep(ints []grpc.StreamServerInterceptor, i int, info *grpc.StreamServerInfo, final grpc.StreamHandler) grpc.StreamHandler {
	if i == len(ints) {
		return final
	}
	return func(srv any, ss grpc.ServerStream) error {
		return ints[i](srv, ss, info, streamStep(ints, i+1, info, final))
	}
}
