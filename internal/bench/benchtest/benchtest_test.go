package benchtest

import (
	"os"
	"testing"

	"github.com/tachyon-ipc/tachyon-go/internal/peerproc"
)

func TestMain(m *testing.M) {
	peerproc.Run()
	os.Exit(m.Run())
}

// Run reports a round trip's percentiles beside ns/op, and a stream's bytes.
func TestRunReportsMetrics(t *testing.T) {
	rtt := testing.Benchmark(func(b *testing.B) { Run(b, "unix/echo", 32) })
	if rtt.N == 0 {
		t.Fatal("the round-trip benchmark did not run")
	}
	for _, unit := range []string{"p50-ns", "p99-ns", "p99.9-ns", "max-ns"} {
		if rtt.Extra[unit] <= 0 {
			t.Errorf("no %s in %v", unit, rtt.Extra)
		}
	}
	if rtt.Extra["p50-ns"] > rtt.Extra["p99-ns"] || rtt.Extra["p99-ns"] > rtt.Extra["max-ns"] {
		t.Errorf("percentiles out of order: %v", rtt.Extra)
	}
	stream := testing.Benchmark(func(b *testing.B) { Run(b, "shm-raw/one-way", 1024) })
	if stream.N == 0 || stream.Bytes != 1024 || stream.Extra["Mmsg/s"] <= 0 {
		t.Errorf("stream benchmark: N=%d bytes=%d extra=%v", stream.N, stream.Bytes, stream.Extra)
	}
}
