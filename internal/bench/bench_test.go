package bench

import (
	"context"
	"errors"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/internal/peerproc"
)

func TestMain(m *testing.M) {
	peerproc.Run()
	os.Exit(m.Run())
}

// TestEveryScenario runs each registered scenario at each default size with
// a small fixed count, between two processes, and checks what it reports.
func TestEveryScenario(t *testing.T) {
	for _, s := range Scenarios() {
		for _, size := range s.Sizes {
			t.Run(s.Key()+"/"+FormatSize(size), func(t *testing.T) {
				count := 300
				if size >= 64<<10 {
					count = 40
				}
				p := Params{Size: size, Count: count, Warmup: 5 * time.Millisecond}
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
				defer cancel()
				res, err := s.Run(ctx, p)
				if err != nil {
					t.Fatal(err)
				}
				if res.Msgs != int64(count) || res.Elapsed <= 0 {
					t.Fatalf("measured %d messages in %v, want %d", res.Msgs, res.Elapsed, count)
				}
				switch s.Kind {
				case Latency:
					h := res.Hist
					if h == nil || h.Count() != uint64(count) || h.Percentile(50) <= 0 || h.Max() < h.Percentile(99) {
						t.Fatalf("bad histogram: %+v", h)
					}
				case Throughput:
					if res.Bytes != int64(count*size) || res.BytesPerSec() <= 0 {
						t.Fatalf("carried %d bytes, want %d", res.Bytes, count*size)
					}
				}
			})
		}
	}
}

func TestDurationMode(t *testing.T) {
	s, ok := Lookup("shm-raw/ping-pong")
	if !ok {
		t.Fatal("shm-raw/ping-pong not registered")
	}
	p := DefaultParams()
	p.Duration, p.Warmup = 20*time.Millisecond, -1
	res, err := s.Run(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if res.Elapsed < p.Duration || res.Msgs == 0 {
		t.Fatalf("measured %d round trips in %v, want at least %v", res.Msgs, res.Elapsed, p.Duration)
	}
}

// A peer told to stream must report exactly what it received; a bad count
// is an error, not a figure.
func TestCheckReport(t *testing.T) {
	if err := checkReport(streamReport{Msgs: 3, Bytes: 96}, 3, 32); err != nil {
		t.Fatal(err)
	}
	if err := checkReport(streamReport{Bytes: 95}, 3, 32); !errors.Is(err, ErrCountMismatch) {
		t.Fatalf("got %v", err)
	}
}

func TestParseCPUs(t *testing.T) {
	got, err := ParseCPUs("0, 1,3")
	if err != nil || len(got) != 3 || got[2] != 3 {
		t.Fatalf("ParseCPUs = %v, %v", got, err)
	}
	if _, err := ParseCPUs("0,x"); err == nil {
		t.Fatal("ParseCPUs accepted x")
	}
	if got, err := ParseCPUs(""); err != nil || got != nil {
		t.Fatalf("empty list: %v %v", got, err)
	}
}

// Pinning is best effort, but where allowed, pinning to every CPU this
// process may use must work, from this goroutine's thread and all others.
func TestPinProcessAllCPUs(t *testing.T) {
	var all []int
	for c := range runtime.NumCPU() {
		all = append(all, c)
	}
	if err := PinProcess(all); err != nil {
		t.Skipf("pinning not allowed here: %v", err)
	}
}

func TestRingCapacity(t *testing.T) {
	for _, c := range []struct{ size, slots, floor, want int }{
		{32, 4, 64 << 10, 64 << 10},
		{64 << 10, 16, 1 << 20, 2 << 20},
		{1 << 20, 4, 64 << 10, 8 << 20},
	} {
		if got := ringCapacity(Params{Size: c.size}, c.slots, c.floor); got != c.want {
			t.Errorf("ringCapacity(%d, %d, %d) = %d, want %d", c.size, c.slots, c.floor, got, c.want)
		}
	}
}

func TestSizes(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int
		name string
	}{{"32", 32, "32B"}, {"32B", 32, "32B"}, {"4K", 4096, "4KiB"}, {"4KiB", 4096, "4KiB"},
		{"1M", 1 << 20, "1MiB"}, {"1500", 1500, "1500B"}, {"0", 0, "0B"}} {
		got, err := ParseSize(c.in)
		if err != nil || got != c.want || FormatSize(got) != c.name {
			t.Errorf("ParseSize(%q) = %d, %v; FormatSize = %q", c.in, got, err, FormatSize(got))
		}
	}
	for _, bad := range []string{"", "x", "-1", "2G", "5000M"} {
		if _, err := ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) accepted", bad)
		}
	}
	if got, err := ParseSizes("32,1K"); err != nil || len(got) != 2 || got[1] != 1024 {
		t.Errorf("ParseSizes = %v, %v", got, err)
	}
}
