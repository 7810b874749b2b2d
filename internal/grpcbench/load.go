package grpcbench

import (
	"context"
	"errors"
	"sync"
	"time"

	"google.golang.org/grpc"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/tachyon-ipc/tachyon-go/internal/hist"
)

// Load describes one measurement.
type Load struct {
	Size        int           // request and response payload bytes (unary); message bytes (stream)
	Concurrency int           // callers (unary) or streams at once; at least 1
	Duration    time.Duration // measured time
	Warmup      time.Duration // unmeasured traffic first
	// Allocs, if set, returns the heap allocations of the server's process
	// so far (Server.Allocs): Unary then counts what both ends allocate
	// while it measures, this process's own included (HeapAllocs).
	Allocs func() (uint64, error)
}

// Result is one measurement.
type Result struct {
	Hist    *hist.Histogram // unary call latencies in ns; nil for streams
	Msgs    int64           // calls completed, or stream messages received
	Bytes   int64           // payload bytes received by the client
	Elapsed time.Duration   // measured wall time
	// Allocs is how many heap objects both processes allocated while
	// measuring, counted when AllocsMeasured (Unary with Load.Allocs).
	Allocs         int64
	AllocsMeasured bool
}

// PerSec returns messages per second (QPS for unary calls).
func (r Result) PerSec() float64 { return float64(r.Msgs) / r.Elapsed.Seconds() }

// BytesPerSec returns the payload bytes the client received per second.
func (r Result) BytesPerSec() float64 { return float64(r.Bytes) / r.Elapsed.Seconds() }

// Unary makes UnaryCalls of l.Size bytes each way from l.Concurrency
// goroutines for l.Warmup, then for l.Duration recording every call's
// latency. Each caller makes at least one call per phase.
func Unary(ctx context.Context, cc grpc.ClientConnInterface, l Load) (Result, error) {
	client := testpb.NewBenchmarkServiceClient(cc)
	req := &testpb.SimpleRequest{ResponseSize: int32(l.Size), Payload: &testpb.Payload{Body: make([]byte, l.Size)}}
	call := func() error {
		_, err := client.UnaryCall(ctx, req)
		return err
	}
	if l.Warmup > 0 {
		if _, err := unaryPhase(call, l.Concurrency, l.Warmup, nil); err != nil {
			return Result{}, err
		}
	}
	res, err := unaryPhase(call, l.Concurrency, l.Duration, l.Allocs)
	res.Bytes = res.Msgs * int64(l.Size)
	return res, err
}

// unaryPhase runs call from n goroutines for d and merges their
// histograms; with allocs (Load.Allocs) it counts the phase's allocations
// in both processes.
func unaryPhase(call func() error, n int, d time.Duration, allocs func() (uint64, error)) (Result, error) {
	n = max(n, 1)
	hists := make([]*hist.Histogram, n)
	for i := range hists {
		hists[i] = hist.New()
	}
	errs := make([]error, n)
	var allocsBefore uint64
	if allocs != nil {
		var err error
		if allocsBefore, err = readBefore(allocs); err != nil {
			return Result{}, err
		}
	}
	var wg sync.WaitGroup
	start := time.Now()
	end := start.Add(d)
	for i, h := range hists {
		wg.Go(func() {
			prev := time.Now()
			for { // at least one call per caller, however late it starts
				if err := call(); err != nil {
					errs[i] = err
					return
				}
				now := time.Now()
				h.Record(int64(now.Sub(prev)))
				prev = now
				if !now.Before(end) {
					return
				}
			}
		})
	}
	wg.Wait()
	res := Result{Hist: hist.New(), Elapsed: time.Since(start)}
	if allocs != nil {
		after, err := readAfter(allocs)
		if err != nil {
			return Result{}, err
		}
		res.Allocs, res.AllocsMeasured = int64(after-allocsBefore), true
	}
	for _, h := range hists {
		res.Hist.Merge(h)
	}
	res.Msgs = int64(res.Hist.Count())
	return res, errors.Join(errs...)
}

// ServerStream opens l.Concurrency StreamingFromServer streams of l.Size
// byte messages and counts what the client receives for l.Duration (up to
// the first message past it), after l.Warmup.
func ServerStream(ctx context.Context, cc grpc.ClientConnInterface, l Load) (Result, error) {
	client := testpb.NewBenchmarkServiceClient(cc)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	n := max(l.Concurrency, 1)
	streams := make([]grpc.ServerStreamingClient[testpb.SimpleResponse], n)
	for i := range streams {
		s, err := client.StreamingFromServer(ctx, &testpb.SimpleRequest{ResponseSize: int32(l.Size)})
		if err != nil {
			return Result{}, err
		}
		if _, err := s.Recv(); err != nil { // the clock starts once every stream flows
			return Result{}, err
		}
		streams[i] = s
	}
	warmEnd := time.Now().Add(l.Warmup)
	end := warmEnd.Add(l.Duration)
	counts := make([]int64, n)
	last := make([]time.Time, n) // when each stream's count ended
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, s := range streams {
		wg.Go(func() {
			for {
				if _, err := s.Recv(); err != nil {
					errs[i] = err
					return
				}
				now := time.Now()
				if now.Before(warmEnd) {
					continue
				}
				// Count up to and including the first message past the
				// end, so every stream counts at least one.
				counts[i]++
				if !now.Before(end) {
					last[i] = now
					return
				}
			}
		})
	}
	wg.Wait()
	res := Result{}
	for i, c := range counts {
		res.Msgs += c
		res.Elapsed = max(res.Elapsed, last[i].Sub(warmEnd))
	}
	res.Bytes = res.Msgs * int64(l.Size)
	return res, errors.Join(errs...)
}
