package grpcbench

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/internal/bench"
	"github.com/tachyon-ipc/tachyon-go/internal/peerproc"
)

func TestMain(m *testing.M) {
	peerproc.Run()
	os.Exit(m.Run())
}

// Every net.Conn transport gets a gRPC unary scenario, and each one runs
// between two processes.
func TestUnaryOverEveryTransport(t *testing.T) {
	n := 0
	for _, s := range bench.Scenarios() {
		if !strings.HasPrefix(s.Transport, "grpc-") {
			continue
		}
		n++
		t.Run(s.Transport, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			res, err := s.Run(ctx, bench.Params{Size: 100, Count: 200, Warmup: -1})
			if err != nil {
				t.Fatal(err)
			}
			if res.Msgs != 200 || res.Hist.Count() != 200 || res.Hist.Percentile(50) <= 0 {
				t.Fatalf("%d calls, histogram of %d", res.Msgs, res.Hist.Count())
			}
		})
	}
	if want := len(bench.NetTransports()); n != want {
		t.Fatalf("%d gRPC scenarios for %d transports", n, want)
	}
}
