// Package grpcbench adds gRPC unary round trips to the internal/bench
// registry, over every net.Conn transport registered there when this package
// initialises (shm, unix and tcp): scenario "grpc-<transport>/unary",
// compared with gRPC over the Unix socket.
//
// The peer process serves an echo method with grpc.Server over the
// transport's listener; the measuring process calls it through
// grpc.NewClient with the transport's dialer as its context dialer. The
// messages are wrapperspb.BytesValue, so no generated code is needed. Import
// it for its side effect, in the measuring binary (which then also plays the
// peer):
//
//	import _ "github.com/tachyon-ipc/tachyon-go/internal/bench/grpcbench"
package grpcbench

import (
	"context"
	"fmt"
	"net"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/tachyon-ipc/tachyon-go/internal/bench"
)

const (
	roleGRPC = "bench-grpc"
	method   = "/tachyon.bench.Echo/Echo"
)

// Sizes are the request and response payloads of the unary scenarios.
var Sizes = []int{32}

func init() {
	bench.RegisterRole(roleGRPC, serve)
	for _, t := range bench.NetTransports() {
		bench.Register(bench.Scenario{
			Transport: "grpc-" + t.Name, Name: "unary", Kind: bench.Latency, Sizes: Sizes,
			Baseline: "grpc-unix/unary",
			Run:      func(ctx context.Context, p bench.Params) (bench.Result, error) { return unary(ctx, t, p) },
		})
	}
}

// service is a one-method gRPC service that echoes a BytesValue.
var service = grpc.ServiceDesc{
	ServiceName: "tachyon.bench.Echo",
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "Echo",
		Handler: func(_ any, _ context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
			in := new(wrapperspb.BytesValue)
			if err := dec(in); err != nil {
				return nil, err
			}
			return in, nil
		},
	}},
	Metadata: "tachyon-bench",
}

// setup is the first control message to the peer, which answers with ready.
type setup struct {
	Transport string
	Dir       string
	Params    bench.Params
}

type ready struct{ Addr string }

func unary(ctx context.Context, t bench.NetTransport, p bench.Params) (bench.Result, error) {
	dir, err := os.MkdirTemp("", "tachyon-bench-grpc-")
	if err != nil {
		return bench.Result{}, err
	}
	defer os.RemoveAll(dir)
	s, err := bench.StartPeer(roleGRPC, p, setup{Transport: t.Name, Dir: dir, Params: p})
	if err != nil {
		return bench.Result{}, err
	}
	var r ready
	if err := s.Recv(&r); err != nil {
		return bench.Result{}, s.Close(err)
	}
	res, err := call(ctx, t, r.Addr, p)
	return res, s.Close(err) // closing the channel stops the server
}

func call(ctx context.Context, t bench.NetTransport, addr string, p bench.Params) (bench.Result, error) {
	cc, err := grpc.NewClient("passthrough:///bench",
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return t.Dial(ctx, addr, p) }))
	if err != nil {
		return bench.Result{}, err
	}
	defer cc.Close()
	ctx, cancel := context.WithTimeout(ctx, p.Limit())
	defer cancel()
	req := wrapperspb.Bytes(make([]byte, p.Size))
	resp := new(wrapperspb.BytesValue)
	roundTrip := func() error {
		if err := cc.Invoke(ctx, method, req, resp); err != nil {
			return err
		}
		if len(resp.Value) != p.Size {
			return fmt.Errorf("grpcbench: echoed %d bytes of %d", len(resp.Value), p.Size)
		}
		return nil
	}
	// The first call connects; it is never measured.
	if err := roundTrip(); err != nil {
		return bench.Result{}, fmt.Errorf("grpcbench: first call over %s: %w", t.Name, err)
	}
	return bench.MeasureRTT(p, roundTrip)
}

// serve is the peer: a gRPC server on the transport until the measuring
// process hangs up.
func serve(ctx context.Context, ch *bench.Channel) error {
	var s setup
	if err := ch.Recv(&s); err != nil {
		return err
	}
	var t bench.NetTransport
	for _, x := range bench.NetTransports() {
		if x.Name == s.Transport {
			t = x
		}
	}
	if t.Listen == nil {
		return fmt.Errorf("%w: unknown transport %q", bench.ErrBadMessage, s.Transport)
	}
	ln, err := t.Listen(s.Dir, s.Params)
	if err != nil {
		return err
	}
	srv := grpc.NewServer()
	srv.RegisterService(&service, struct{}{})
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	if err := ch.Send(ready{Addr: ln.Addr().String()}); err != nil {
		srv.Stop()
		return err
	}
	err = ch.WaitClose(ctx)
	stopped := make(chan struct{})
	go func() { srv.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		srv.Stop()
	}
	if serr := <-served; serr != nil && err == nil {
		err = serr
	}
	return err
}
