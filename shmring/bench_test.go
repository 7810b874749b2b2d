package shmring_test

import (
	"testing"

	"github.com/tachyon-ipc/tachyon-go/internal/bench"
	"github.com/tachyon-ipc/tachyon-go/internal/bench/benchtest"
)

// The ring's benchmarks, each between this test binary and a copy of it
// re-executed as the peer (shmring/main_test.go lets it play the roles that
// internal/bench registers). One run gives every figure issue 2 asks for,
// named for benchstat:
//
//	go test -run '^$' -bench . -count 6 ./shmring | tee new.txt
//	benchstat -col /transport new.txt   # RTT: floors vs ring vs parked vs unix
//
// Round trips report their p50/p99/p99.9/max from a histogram beside ns/op.

// BenchmarkRTT is the 32-byte round trip: the cache-line floor (one atomic
// bounced between the processes, 8 bytes), the wire-format floor (a 32-byte
// frame bounced through two wire-v4 rings with bare loads and stores: the
// header, payload and head lines each hop moves, and no code around them),
// raw ring ping-pong with the default wait strategy, ring ping-pong where
// every frame wakes a parked goroutine (no spin, eventfd doorbells), and a
// Unix-socket echo.
func BenchmarkRTT(b *testing.B) {
	for _, c := range []struct{ name, key string }{
		{"floor", "floor/cache-line"},
		{"wire-floor", "floor/wire-v4"},
		{"shm-raw", "shm-raw/ping-pong"},
		{"shm-raw-parked", "shm-raw/ping-pong-parked"},
		{"unix", "unix/echo"},
	} {
		b.Run("transport="+c.name, func(b *testing.B) { benchtest.Run(b, c.key, 32) })
	}
}

// BenchmarkOneWay streams frames to the peer, which copies each payload out:
// 32-byte frames published in batches of 32 and drained in batches, then
// 1 KiB and 64 KiB frames.
func BenchmarkOneWay(b *testing.B) {
	for _, size := range []int{32, 1 << 10, 64 << 10} {
		b.Run("size="+bench.FormatSize(size), func(b *testing.B) { benchtest.Run(b, "shm-raw/one-way", size) })
	}
}
