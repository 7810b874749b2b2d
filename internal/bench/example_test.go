package bench_test

import (
	"context"
	"fmt"
	"net"

	"github.com/tachyon-ipc/tachyon-go/internal/bench"
)

// Run one registered scenario: a thousand 32-byte round trips over a raw
// shared-memory ring, between this process and a copy of it.
func Example() {
	s, ok := bench.Lookup("shm-raw/ping-pong")
	if !ok {
		fmt.Println("not registered")
		return
	}
	p := bench.DefaultParams()
	p.Count = 1000
	res, err := s.Run(context.Background(), p)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Msgs, "round trips, p50 ≤ p99 ≤ max:",
		res.Hist.Percentile(50) <= res.Hist.Percentile(99) && res.Hist.Percentile(99) <= res.Hist.Max())
	// Output: 1000 round trips, p50 ≤ p99 ≤ max: true
}

// A transport joins the echo and io.Copy tables with one registration, made
// from an init function so that the peer process knows it too. (This one is
// TCP over IPv6 loopback.)
func ExampleRegisterNetTransport() {
	bench.RegisterNetTransport(bench.NetTransport{
		Name: "tcp6",
		Listen: func(dir string, p bench.Params) (net.Listener, error) {
			return net.Listen("tcp6", "[::1]:0")
		},
		Dial: func(ctx context.Context, addr string, p bench.Params) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "tcp6", addr)
		},
	})
}
