package grpcshm_test

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/internal/grpcbench"
)

// Tuning flags, to try settings without editing code, e.g.
//
//	go test -run '^$' -bench GRPC ./grpcshm -grpc.spin=0s -grpc.workers=2
var (
	benchSpin    = flag.Duration("grpc.spin", 0, "shared-memory spin budget of both sides (0: conn's default, negative: never spin)")
	benchRing    = flag.Int("grpc.ring", 0, "shared-memory ring capacity per direction (0: grpcshm.DefaultRingSize)")
	benchWorkers = flag.Uint("grpc.workers", 0, "grpc.NumStreamWorkers on the server (0: off)")
	benchRBuf    = flag.Int("grpc.rbuf", 0, "gRPC read buffer bytes, both sides (0: the transport's default)")
	benchWBuf    = flag.Int("grpc.wbuf", 0, "gRPC write buffer bytes, both sides (0: the transport's default, negative: unbuffered)")
	benchWindow  = flag.Int("grpc.window", 0, "gRPC initial stream and connection window, both sides (0: the transport's default)")
	benchPlain   = flag.Bool("grpc.plain", false, "over shared memory, start from gRPC's and conn's defaults instead of grpcshm's")
	benchOnly    = flag.String("grpc.only", "", "run only these transports, comma-separated (shm,shm-inproc,unix,tcp,bufconn)")
)

func benchTuning() grpcbench.Tuning {
	tu := grpcbench.Tuning{
		RingSize: *benchRing, StreamWorkers: uint32(*benchWorkers),
		ReadBuffer: *benchRBuf, WriteBuffer: *benchWBuf, Window: int32(*benchWindow), Plain: *benchPlain,
	}
	switch {
	case *benchSpin < 0:
		tu.Spin = grpcbench.NoSpin
	case *benchSpin > 0:
		tu.Spin = *benchSpin
	}
	return tu
}

// benchTransport is one column of the comparison: a transport with its
// server in another process (remote) or in this one.
type benchTransport struct {
	name      string
	transport string
	remote    bool
	tune      *grpcbench.Tuning // nil: the flags' tuning
}

// benchTransports, in the order each scenario runs them, adjacent in time.
// (go test -count repeats each sub-benchmark in place; TestGRPCComparison
// interleaves whole rounds.)
var benchTransports = []benchTransport{
	{name: "direct", transport: grpcbench.Direct, remote: true},
	{name: "shm", transport: grpcbench.Shm, remote: true},
	{name: "unix", transport: grpcbench.Unix, remote: true},
	{name: "tcp", transport: grpcbench.TCP, remote: true},
	{name: "shm-inproc", transport: grpcbench.Shm},
	{name: "bufconn", transport: grpcbench.Bufconn},
	{name: "direct-inproc", transport: grpcbench.Direct},
	{name: "unix-inproc", transport: grpcbench.Unix},
}

// benchScenario is one row group of the comparison.
type benchScenario struct {
	name   string
	stream bool // server-streaming throughput; otherwise unary latency
	load   grpcbench.Load
}

var benchScenarios = []benchScenario{
	{"unary-32B-c1", false, grpcbench.Load{Size: 32, Concurrency: 1}},
	{"unary-32B-c16", false, grpcbench.Load{Size: 32, Concurrency: 16}},
	{"unary-1MiB-c1", false, grpcbench.Load{Size: 1 << 20, Concurrency: 1}},
	{"unary-1MiB-c16", false, grpcbench.Load{Size: 1 << 20, Concurrency: 16}},
	{"stream-1KiB", true, grpcbench.Load{Size: 1 << 10, Concurrency: 1}},
	{"stream-1MiB", true, grpcbench.Load{Size: 1 << 20, Concurrency: 1}},
}

// benchDuration is the measured time of one sub-benchmark: -benchtime when
// it is a duration.
func benchDuration() time.Duration {
	if f := flag.Lookup("test.benchtime"); f != nil {
		if d, err := time.ParseDuration(f.Value.String()); err == nil {
			return d
		}
	}
	return time.Second
}

// BenchmarkGRPC compares gRPC over shared memory with the Unix socket, TCP
// loopback (servers in another process) and, in-process, with grpc-go's
// bufconn: unary calls of 32 B and 1 MiB each way with 1 and 16 callers
// (p50, p99, QPS), and server-streaming throughput. Each sub-benchmark
// measures for -benchtime (a duration; default 1s) after a warm-up, once.
// Select a scenario exactly, e.g. -bench 'GRPC/^unary-32B-c1$'.
func BenchmarkGRPC(b *testing.B) {
	tu := benchTuning()
	b.Logf("tuning %+v", tu)
	clients := map[string]*grpcbenchClient{}
	defer func() {
		for _, c := range clients {
			c.close(b)
		}
	}()
	client := func(b *testing.B, bt benchTransport) *grpcbenchClient {
		if c, ok := clients[bt.name]; ok {
			return c
		}
		c, err := newBenchClient(bt, tu)
		if err != nil {
			b.Fatal(err)
		}
		clients[bt.name] = c
		return c
	}
	d := benchDuration()
	for _, sc := range benchScenarios {
		b.Run(sc.name, func(b *testing.B) {
			for _, bt := range benchTransports {
				if !selected(bt.name) {
					continue
				}
				b.Run(bt.name, func(b *testing.B) {
					c := client(b, bt)
					l := sc.load
					l.Duration, l.Warmup = d, d/5
					ctx, cancel := context.WithTimeout(context.Background(), 10*d+time.Minute)
					defer cancel()
					b.ResetTimer()
					if sc.stream {
						res, err := grpcbench.ServerStream(ctx, c.cc, l)
						if err != nil {
							b.Fatal(err)
						}
						b.ReportMetric(res.PerSec(), "msgs/s")
						b.ReportMetric(res.BytesPerSec()/1e6, "MB/s")
						b.ReportMetric(float64(res.Elapsed)/float64(max(res.Msgs, 1)), "ns/op")
						return
					}
					var before, after runtime.MemStats
					runtime.ReadMemStats(&before)
					res, err := grpcbench.Unary(ctx, c.cc, l)
					if err != nil {
						b.Fatal(err)
					}
					runtime.ReadMemStats(&after)
					// With the server in this process (the -inproc and
					// bufconn rows) this counts both sides' allocations.
					calls := float64(max(res.Msgs, 1)) * float64(l.Duration+l.Warmup) / float64(l.Duration)
					b.ReportMetric(float64(after.Mallocs-before.Mallocs)/calls, "allocs/call")
					b.ReportMetric(float64(res.Hist.Percentile(50))/1e3, "p50-µs")
					b.ReportMetric(float64(res.Hist.Percentile(99))/1e3, "p99-µs")
					b.ReportMetric(res.PerSec(), "calls/s")
					b.ReportMetric(float64(res.Elapsed)/float64(max(res.Msgs, 1)), "ns/op")
				})
			}
		})
	}
}

func selected(name string) bool {
	return *benchOnly == "" || slices.Contains(strings.Split(*benchOnly, ","), name)
}

// grpcbenchClient is a server (remote or local) and a client of it.
type grpcbenchClient struct {
	srv *grpcbench.Server
	cc  *grpcbench.Client
}

func newBenchClient(bt benchTransport, tu grpcbench.Tuning) (*grpcbenchClient, error) {
	start := grpcbench.StartLocalServer
	if bt.remote {
		start = grpcbench.StartServer
	}
	srv, err := start(bt.transport, tu)
	if err != nil {
		return nil, fmt.Errorf("%s server: %w", bt.name, err)
	}
	cc, err := srv.Dial(tu)
	if err != nil {
		srv.Close()
		return nil, fmt.Errorf("%s client: %w", bt.name, err)
	}
	return &grpcbenchClient{srv: srv, cc: cc}, nil
}

func (c *grpcbenchClient) close(b testing.TB) {
	c.cc.Close()
	if err := c.srv.Close(); err != nil {
		b.Errorf("server: %v", err)
	}
}
