package conn_test

import (
	"testing"

	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/internal/bench"
	"github.com/tachyon-ipc/tachyon-go/internal/bench/benchtest"
)

// Benchmarks of the connection against the kernel's sockets, each with the
// peer in another process (the scenarios of internal/bench). Sub-benchmark
// names are key=value pairs, so `benchstat -col /transport` puts the
// transports side by side. Latency benchmarks report p50-ns, p99-ns,
// p99.9-ns and max-ns of the round trip; throughput benchmarks MB/s.
//
//	go test -run '^$' -bench . -benchtime 20000x ./conn
//
// The targets: echo p50 at most 1/15 of the Unix socket's,
// parked-wake p50 at most the Unix socket's, io.Copy at least twice the Unix
// socket's throughput.

// echoScenarios are compared on the 32-byte round trip: our connection,
// the kernel's sockets, and for reference the raw ring under it (zero-copy
// frames, no net.Conn) and the machine's cache-line floor (one word bounced
// between the processes, 8 bytes), which moves from minute to minute on
// shared machines and must be quoted beside the rest.
var echoScenarios = []struct{ transport, key string }{
	{"shm", "shm/echo"},
	{"unix", "unix/echo"},
	{"tcp", "tcp/echo"},
	{"shm-raw", "shm-raw/ping-pong"},
	{"floor", "floor/cache-line"},
}

// BenchmarkEcho: 32-byte echo round trips; the shared-memory sides spin
// (the default budget) before they park.
func BenchmarkEcho(b *testing.B) {
	for _, sc := range echoScenarios {
		b.Run("size=32B/transport="+sc.transport, func(b *testing.B) {
			size := 32
			if s, ok := bench.Lookup(sc.key); ok && s.FixedSize {
				size = s.Sizes[0]
			}
			benchtest.Run(b, sc.key, size)
		})
	}
}

// BenchmarkEchoParked: the same round trip with spinning off on both
// shared-memory sides (WithSpin(0)), so every message wakes a parked
// goroutine through a doorbell, as a socket read does.
func BenchmarkEchoParked(b *testing.B) {
	for _, tr := range []string{"shm", "unix"} {
		b.Run("size=32B/transport="+tr, func(b *testing.B) {
			benchtest.Run(b, tr+"/echo", 32, func(p *bench.Params) { p.Spin = bench.NoSpin })
		})
	}
}

// BenchmarkCopy: a one-way stream of writes of each size, read by io.Copy
// in the peer.
func BenchmarkCopy(b *testing.B) {
	for _, size := range []int{4 << 10, 64 << 10, 1 << 20} {
		for _, tr := range []string{"shm", "unix"} {
			b.Run("size="+bench.FormatSize(size)+"/transport="+tr, func(b *testing.B) {
				benchtest.Run(b, tr+"/io.Copy", size)
			})
		}
	}
}

// BenchmarkCopyRingSize: the io.Copy stream over our connection with
// larger rings (WithRingSize) than the 256 KiB default: a ring that holds
// many writes lets the writer and the reader run apart, with fewer parks
// and wakes per byte (compare with BenchmarkCopy's transport=unix).
func BenchmarkCopyRingSize(b *testing.B) {
	for _, size := range []int{64 << 10, 1 << 20} {
		for _, ring := range []int{conn.DefaultRingSize, 1 << 20, 4 << 20} {
			b.Run("size="+bench.FormatSize(size)+"/ring="+bench.FormatSize(ring), func(b *testing.B) {
				benchtest.Run(b, "shm/io.Copy", size, func(p *bench.Params) { p.Capacity = ring })
			})
		}
	}
}
