// Package benchtest runs internal/bench scenarios as testing.B benchmarks,
// with b.N messages, only the measured phase timed, and round-trip
// percentiles reported beside ns/op, in units benchstat compares:
// p50-ns, p99-ns, p99.9-ns and max-ns.
//
// The test binary must let peers run: its TestMain calls peerproc.Run first.
package benchtest

import (
	"context"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/internal/bench"
)

// runLimit bounds one call of a benchmark function, peer start included.
const runLimit = 10 * time.Minute

// Run measures the scenario registered under key ("transport/name") with
// b.N messages of size bytes. Throughput scenarios set b.SetBytes(size), so
// `go test -bench` prints MB/s; latency scenarios report the round trip's
// percentiles from a histogram, not only its mean (ns/op). edit, if given,
// adjusts the parameters (spin budget, ring capacity).
func Run(b *testing.B, key string, size int, edit ...func(*bench.Params)) {
	b.Helper()
	s, ok := bench.Lookup(key)
	if !ok {
		b.Fatalf("benchtest: no scenario %q", key)
	}
	p := bench.DefaultParams()
	p.Size, p.Count, p.Timer = size, b.N, b
	for _, e := range edit {
		e(&p)
	}
	if s.Kind == bench.Throughput {
		b.SetBytes(int64(size))
	}
	ctx, cancel := context.WithTimeout(context.Background(), runLimit)
	defer cancel()
	res, err := s.Run(ctx, p)
	if err != nil {
		b.Fatal(err)
	}
	if h := res.Hist; h != nil && h.Count() > 0 {
		b.ReportMetric(float64(h.Percentile(50)), "p50-ns")
		b.ReportMetric(float64(h.Percentile(99)), "p99-ns")
		b.ReportMetric(float64(h.Percentile(99.9)), "p99.9-ns")
		b.ReportMetric(float64(h.Max()), "max-ns")
	}
	if s.Kind == bench.Throughput && res.Elapsed > 0 {
		b.ReportMetric(res.MsgsPerSec()/1e6, "Mmsg/s")
	}
}
