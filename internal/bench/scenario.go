package bench

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/tachyon-ipc/tachyon-go/internal/hist"
)

// Kind says what a scenario measures.
type Kind int

const (
	// Latency scenarios time round trips; their Result has a histogram.
	Latency Kind = iota
	// Throughput scenarios stream one way; their Result counts bytes.
	Throughput
)

// String names the kind as the table prints it.
func (k Kind) String() string {
	if k == Latency {
		return "latency"
	}
	return "throughput"
}

// Scenario is one benchmark between two processes.
type Scenario struct {
	Transport string // e.g. "shm-raw", "unix", "grpc-tcp"
	Name      string // e.g. "ping-pong", "echo", "io.Copy"
	Kind      Kind
	Sizes     []int // default payload sizes in bytes
	// FixedSize means the scenario's payload cannot change (the floor
	// probe bounces one word): callers leave Sizes alone.
	FixedSize bool
	// Baseline names the Unix-socket scenario this one is compared with
	// ("unix/echo"); empty for none.
	Baseline string
	// Run measures once with the given parameters. It starts its peer,
	// warms up, measures and stops the peer before returning.
	Run func(ctx context.Context, p Params) (Result, error)
}

// Key returns "transport/name", the name Lookup and Baseline use.
func (s Scenario) Key() string { return s.Transport + "/" + s.Name }

// Timer is the part of *testing.B a scenario drives so that only the
// measured phase is timed.
type Timer interface {
	ResetTimer()
	StopTimer()
}

// Params are the knobs of one measurement. Start from DefaultParams.
type Params struct {
	Size     int           // payload bytes per message or write
	Duration time.Duration // how long to measure, when Count is 0
	Count    int           // measure exactly this many messages instead
	Warmup   time.Duration // unmeasured traffic first; negative for none
	// Spin is the shared-memory sides' spin budget before they park:
	// zero keeps shmring's default, NoSpin disables spinning.
	Spin     time.Duration
	Capacity int   // ring capacity in bytes; zero picks one from Size
	PeerCPUs []int // pin the peer process to these CPUs; empty: no pinning
	Timer    Timer `json:"-"` // optional: told when the measured phase starts and ends
}

// NoSpin as Params.Spin makes waiting sides park at once.
const NoSpin = time.Duration(-1)

// spinOption turns a spin setting (Params.Spin) into the WithSpin option of
// shmring, bus or conn: none for the default (zero), WithSpin(0) for
// NoSpin.
func spinOption[O any](spin time.Duration, withSpin func(time.Duration) O) []O {
	switch {
	case spin == NoSpin:
		return []O{withSpin(0)}
	case spin > 0:
		return []O{withSpin(spin)}
	}
	return nil
}

// DefaultParams measures 32-byte messages for half a second after 50 ms of
// warm-up.
func DefaultParams() Params {
	return Params{Size: 32, Duration: 500 * time.Millisecond, Warmup: 50 * time.Millisecond}
}

// Limit bounds every wait of a measurement, so that a stuck peer fails the
// run instead of hanging it.
func (p Params) Limit() time.Duration {
	if p.Count > 0 {
		return 10 * time.Minute
	}
	return max(p.Warmup, 0) + p.Duration + time.Minute
}

// Result is one measurement.
type Result struct {
	Hist    *hist.Histogram // round-trip times in ns (Latency scenarios)
	Msgs    int64           // messages (round trips, frames or writes) measured
	Bytes   int64           // payload bytes carried one way while measuring
	Elapsed time.Duration   // wall time of the measured phase
	// Allocs is how many heap objects every process taking part allocated
	// during the measured phase, when AllocsMeasured (gRPC's unary rows).
	Allocs         int64
	AllocsMeasured bool
}

// BytesPerSec returns the one-way payload throughput.
func (r Result) BytesPerSec() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Bytes) / r.Elapsed.Seconds()
}

// MsgsPerSec returns messages per second.
func (r Result) MsgsPerSec() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Msgs) / r.Elapsed.Seconds()
}

var registry struct {
	sync.Mutex
	list []Scenario
}

// Register adds a scenario; it panics on a duplicate key or a missing field,
// as both are programming errors. Call it from an init function so that the
// measuring process and its peer know the same scenarios.
func Register(s Scenario) {
	if s.Transport == "" || s.Name == "" || s.Run == nil || len(s.Sizes) == 0 {
		panic(fmt.Sprintf("bench: incomplete scenario %q", s.Key()))
	}
	registry.Lock()
	defer registry.Unlock()
	for _, o := range registry.list {
		if o.Key() == s.Key() {
			panic("bench: scenario registered twice: " + s.Key())
		}
	}
	registry.list = append(registry.list, s)
}

// Scenarios returns every registered scenario in registration order.
func Scenarios() []Scenario {
	registry.Lock()
	defer registry.Unlock()
	return slices.Clone(registry.list)
}

// Lookup returns the scenario registered under key ("transport/name").
func Lookup(key string) (Scenario, bool) {
	registry.Lock()
	defer registry.Unlock()
	for _, s := range registry.list {
		if s.Key() == key {
			return s, true
		}
	}
	return Scenario{}, false
}
