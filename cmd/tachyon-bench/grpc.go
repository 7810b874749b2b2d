package main

import (
	"context"
	"errors"
	"io"

	"google.golang.org/grpc"

	"github.com/tachyon-ipc/tachyon-go/internal/bench"
	"github.com/tachyon-ipc/tachyon-go/internal/grpcbench"
)

// gRPC joins the scenario registry here: grpcshm's direct path
// (grpc-direct: grpcshm.Server and Channel, no HTTP/2), gRPC's HTTP/2 over
// shared memory (grpc-shm), a Unix socket and TCP, each with the benchmark
// service served in another process (this binary re-executed), and grpc-go's
// in-process bufconn. The setups are internal/grpcbench's, the ones
// grpcshm's own benchmarks use, with the libraries' default tuning and -spin
// passed to the shared-memory sides. Scenarios: unary round trips with one
// caller (latency), unary calls from 16 callers at once (throughput, which
// on two vCPUs is the CPU a call costs), and server-streaming 1 MiB
// messages (throughput). grpc-codec is their floor: the same calls with no
// transport, only the protobuf encoding and decoding every transport's call
// needs (grpcbench.CodecFloor).
func init() {
	for _, t := range []string{grpcbench.Direct, grpcbench.Shm, grpcbench.Unix, grpcbench.TCP, grpcbench.Bufconn, grpcbench.Codec} {
		tr := "grpc-" + t
		bench.Register(bench.Scenario{
			Transport: tr, Name: "unary", Kind: bench.Latency, Sizes: []int{32, 1 << 20},
			Baseline: "grpc-unix/unary",
			Run: func(ctx context.Context, p bench.Params) (bench.Result, error) {
				return grpcLoad(ctx, t, p, 1, false)
			},
		})
		bench.Register(bench.Scenario{
			Transport: tr, Name: "unary-c16", Kind: bench.Throughput, Sizes: []int{32},
			Baseline: "grpc-unix/unary-c16",
			Run: func(ctx context.Context, p bench.Params) (bench.Result, error) {
				return grpcLoad(ctx, t, p, 16, false)
			},
		})
		bench.Register(bench.Scenario{
			Transport: tr, Name: "stream", Kind: bench.Throughput, Sizes: []int{1 << 20},
			Baseline: "grpc-unix/stream",
			Run: func(ctx context.Context, p bench.Params) (bench.Result, error) {
				return grpcLoad(ctx, t, p, 1, true)
			},
		})
	}
}

// errGRPCCount: grpcbench's loads run for a duration, not a count.
var errGRPCCount = errors.New("tachyon-bench: gRPC scenarios measure for a duration, not a count")

// grpcLoad starts a benchmark server for transport (in this process for
// bufconn, in another otherwise), dials it and measures unary calls from
// callers goroutines, or one server stream.
func grpcLoad(ctx context.Context, transport string, p bench.Params, callers int, stream bool) (bench.Result, error) {
	if p.Count > 0 {
		return bench.Result{}, errGRPCCount
	}
	if transport == grpcbench.Codec {
		return grpcMeasure(ctx, grpcbench.NewCodecFloor(), p, callers, stream, noServerAllocs)
	}
	tu := grpcbench.Tuning{Spin: p.Spin, RingSize: p.Capacity}
	start := grpcbench.StartServer
	if transport == grpcbench.Bufconn {
		start = grpcbench.StartLocalServer
	}
	srv, err := start(transport, tu)
	if err != nil {
		return bench.Result{}, err
	}
	cc, err := srv.Dial(tu)
	if err != nil {
		return bench.Result{}, errors.Join(err, srv.Close())
	}
	res, err := grpcMeasure(ctx, cc, p, callers, stream, srv.Allocs)
	return res, errors.Join(err, srv.Close())
}

// noServerAllocs is the server's count when there is no server process.
func noServerAllocs() (uint64, error) { return 0, nil }

// grpcMeasure measures unary calls from callers goroutines, or one server
// stream, over cc, and closes it. serverAllocs counts the server process's
// allocations (grpcbench.Server.Allocs), for unary calls' count in both
// processes.
func grpcMeasure(ctx context.Context, cc interface {
	grpc.ClientConnInterface
	io.Closer
}, p bench.Params, callers int, stream bool, serverAllocs func() (uint64, error)) (bench.Result, error) {
	ctx, cancel := context.WithTimeout(ctx, p.Limit())
	defer cancel()
	load := grpcbench.Load{Size: p.Size, Concurrency: callers, Duration: p.Duration, Warmup: max(p.Warmup, 0),
		Allocs: serverAllocs}
	var res grpcbench.Result
	var err error
	if stream {
		res, err = grpcbench.ServerStream(ctx, cc, load)
	} else {
		res, err = grpcbench.Unary(ctx, cc, load)
	}
	err = errors.Join(err, cc.Close())
	return bench.Result{Hist: res.Hist, Msgs: res.Msgs, Bytes: res.Bytes, Elapsed: res.Elapsed,
		Allocs: res.Allocs, AllocsMeasured: res.AllocsMeasured}, err
}
