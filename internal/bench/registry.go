package bench

import (
	"context"
	"time"
)

// The built-in scenarios, registered in the order tables list them.
func init() {
	RegisterRole(roleFloor, floorPeer)
	RegisterRole(roleWireFloor, wireFloorPeer)
	RegisterRole(roleRing, ringPeer)
	RegisterRole(roleNet, netPeer)

	Register(Scenario{Transport: "floor", Name: "cache-line", Kind: Latency, Sizes: []int{8}, FixedSize: true,
		Run: runFloor})
	Register(Scenario{Transport: "floor", Name: "wire-v4", Kind: Latency, Sizes: []int{32}, FixedSize: true,
		Run: runWireFloor})
	Register(Scenario{Transport: "shm-raw", Name: "ping-pong", Kind: Latency, Sizes: []int{32}, Baseline: "unix/echo",
		Run: func(ctx context.Context, p Params) (Result, error) { return runRingPingPong(ctx, p, false, 0) }})
	Register(Scenario{Transport: "shm-raw", Name: "ping-pong-parked", Kind: Latency, Sizes: []int{32}, Baseline: "unix/echo",
		Run: func(ctx context.Context, p Params) (Result, error) { return runRingPingPong(ctx, p, true, 0) }})
	Register(Scenario{Transport: "shm-raw", Name: "ping-pong-parked-futex", Kind: Latency, Sizes: []int{32}, Baseline: "unix/echo",
		Run: func(ctx context.Context, p Params) (Result, error) {
			return runRingPingPong(ctx, p, true, time.Millisecond) // shmring.WithFutexStage
		}})
	Register(Scenario{Transport: "shm-raw", Name: "one-way", Kind: Throughput, Sizes: []int{32, 1 << 10, 64 << 10},
		Baseline: "unix/io.Copy", Run: runRingOneWay})
	// The same with a receiver that waits for StreamLowWater bytes of
	// frames before it reads, and so stays out of the producer's way.
	Register(Scenario{Transport: "shm-raw", Name: "one-way-lowwater", Kind: Throughput, Sizes: []int{1 << 10, 64 << 10},
		Baseline: "unix/io.Copy", Run: func(_ context.Context, p Params) (Result, error) {
			return ringOneWayLowWater(p, StreamLowWater)
		}})
	registerFrames()
	RegisterNetTransport(Shm)
	RegisterNetTransport(Unix)
	RegisterNetTransport(TCP)
}
