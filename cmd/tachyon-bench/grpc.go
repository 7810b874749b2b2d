package main

import (
	"context"
	"errors"

	"github.com/tachyon-ipc/tachyon-go/internal/bench"
	"github.com/tachyon-ipc/tachyon-go/internal/grpcbench"
)

// gRPC unary round trips over shared memory, a Unix socket and TCP join the
// scenario registry here. The setups are internal/grpcbench's, the ones
// grpcshm's own benchmarks use: the benchmark service served in another
// process (this binary re-executed), one caller, the libraries' default
// tuning, with -spin passed to the shared-memory sides.
func init() {
	for _, t := range []string{grpcbench.Shm, grpcbench.Unix, grpcbench.TCP} {
		bench.Register(bench.Scenario{
			Transport: "grpc-" + t, Name: "unary", Kind: bench.Latency, Sizes: []int{32},
			Baseline: "grpc-unix/unary",
			Run:      func(ctx context.Context, p bench.Params) (bench.Result, error) { return grpcUnary(ctx, t, p) },
		})
	}
}

// errGRPCCount: grpcbench's loads run for a duration, not a count.
var errGRPCCount = errors.New("tachyon-bench: gRPC scenarios measure for a duration, not a count")

func grpcUnary(ctx context.Context, transport string, p bench.Params) (bench.Result, error) {
	if p.Count > 0 {
		return bench.Result{}, errGRPCCount
	}
	tu := grpcbench.Tuning{Spin: p.Spin, RingSize: p.Capacity}
	srv, err := grpcbench.StartServer(transport, tu)
	if err != nil {
		return bench.Result{}, err
	}
	cc, err := srv.Dial(tu)
	if err != nil {
		return bench.Result{}, errors.Join(err, srv.Close())
	}
	ctx, cancel := context.WithTimeout(ctx, p.Limit())
	defer cancel()
	res, err := grpcbench.Unary(ctx, cc, grpcbench.Load{
		Size: p.Size, Concurrency: 1, Duration: p.Duration, Warmup: max(p.Warmup, 0),
	})
	err = errors.Join(err, cc.Close(), srv.Close())
	return bench.Result{Hist: res.Hist, Msgs: res.Msgs, Bytes: res.Bytes, Elapsed: res.Elapsed}, err
}
