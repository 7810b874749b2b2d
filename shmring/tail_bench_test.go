//go:build linux

package shmring_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/internal/peerproc"
	"github.com/tachyon-ipc/tachyon-go/shmring"
)

// BenchmarkTailSuspects measures what each suspect of the ping-pong tail
// (issue 17) does to p50 and p99, all variants in one run, interleaved in
// blocks of round trips so that a noisy machine hits them alike. Each
// variant has its own peer process, configured as this side is:
//
//	default    the wait as it is by default
//	rewake     after a park shorter than 100 µs, spin at least 100 µs (SetRewake)
//	yield50    default, but runtime.Gosched every 50 µs of spin, not 5 µs
//	gc-off     default with the GC off in both processes (debug.SetGCPercent(-1))
//	locked     default with both spinning goroutines on locked OS threads
//
//	go test -run '^$' -bench TailSuspects -benchtime 300000x ./shmring
//
// Async preemption and sysmon cannot be switched inside a process; compare
// whole runs with GODEBUG=asyncpreemptoff=1 for those (README, Benchmarks).
func BenchmarkTailSuspects(b *testing.B) {
	interleavedTail(b, []string{"default", "rewake", "yield50", "gc-off", "locked"})
}

func init() {
	peerproc.Register("shmring-tail-echo", tailEchoPeer)
}

// tailKnobs applies a variant to this process and returns what undoes it.
func tailKnobs(variant string) func() {
	shmring.SetRewake(variant == "rewake")
	yield := 5 * time.Microsecond
	if variant == "yield50" {
		yield = 50 * time.Microsecond
	}
	shmring.SetSpinYield(yield)
	undo := func() {}
	switch variant {
	case "gc-off":
		old := debug.SetGCPercent(-1)
		undo = func() { debug.SetGCPercent(old) }
	case "locked":
		runtime.LockOSThread()
		undo = runtime.UnlockOSThread
	}
	return func() {
		undo()
		shmring.SetRewake(false)
		shmring.SetSpinYield(5 * time.Microsecond)
	}
}

// tailEchoPeer echoes ring 0 into ring 1 until EOF, as variant args[0].
func tailEchoPeer(args []string) error {
	defer tailKnobs(args[0])()
	rings, err := psRecvRings(2)
	if err != nil {
		return err
	}
	c, err := rings[0].Consumer()
	if err != nil {
		return err
	}
	p, err := rings[1].Producer()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), psGuard)
	defer cancel()
	for {
		f, err := c.AcquireContext(ctx)
		if err == io.EOF {
			return p.Close()
		}
		if err != nil {
			return err
		}
		if err := p.Send(ctx, f.Type, f.Payload); err != nil {
			return err
		}
		c.Commit()
	}
}

type tailVariant struct {
	name string
	peer *peerproc.Peer
	p    *shmring.Producer
	c    *shmring.Consumer
	rtt  []float64
}

func interleavedTail(b *testing.B, names []string) {
	ctx, cancel := context.WithTimeout(context.Background(), psGuard)
	defer cancel()
	vs := make([]*tailVariant, len(names))
	for i, name := range names {
		v := &tailVariant{name: name}
		var rings []*shmring.Ring
		v.peer, rings = psStart(b, "shmring-tail-echo", 2, name)
		v.p, _ = rings[0].Producer()
		v.c, _ = rings[1].Consumer()
		v.rtt = make([]float64, b.N/len(names)+tailBlock)
		for i := range v.rtt { // first touch now, not while measuring
			v.rtt[i] = 1
		}
		v.rtt = v.rtt[:0]
		vs[i] = v
	}
	var buf [32]byte
	const warm = 2000
	var faults, gcs int64 // during the measured blocks, all variants
	for done := -warm * len(vs); done < b.N; done += tailBlock * len(vs) {
		if done == 0 || done < 0 && done+tailBlock*len(vs) >= 0 {
			faults, gcs = -minorFaults(), -numGC() // the measured blocks start
		}
		for _, v := range vs {
			undo := tailKnobs(v.name)
			prev := time.Now()
			for j := range tailBlock {
				binary.NativeEndian.PutUint64(buf[:], uint64(j))
				if err := v.p.Send(ctx, 1, buf[:]); err != nil {
					b.Fatal(err)
				}
				f, err := v.c.AcquireContext(ctx)
				if err != nil || binary.NativeEndian.Uint64(f.Payload) != uint64(j) {
					b.Fatalf("%s: echo %d: %v", v.name, j, err)
				}
				v.c.Commit()
				now := time.Now()
				if done >= 0 {
					v.rtt = append(v.rtt, float64(now.Sub(prev)))
				}
				prev = now
			}
			undo()
		}
	}
	faults, gcs = faults+minorFaults(), gcs+numGC()
	b.ReportMetric(float64(faults), "minor-faults")
	b.ReportMetric(float64(gcs), "gc-cycles")
	var summary []string
	for _, v := range vs {
		if len(v.rtt) > 0 { // b.N was too small for a measured block
			slices.Sort(v.rtt)
			p50, p99 := v.rtt[len(v.rtt)/2], v.rtt[len(v.rtt)*99/100]
			b.ReportMetric(p50, "p50-ns-"+v.name)
			b.ReportMetric(p99, "p99-ns-"+v.name)
			summary = append(summary, fmt.Sprintf("%s %.0f/%.0f", v.name, p50, p99))
		}
		v.p.Close()
		if _, err := v.c.AcquireContext(ctx); err == nil {
			b.Fatal("no EOF")
		}
		if err := v.peer.Wait(psGuard); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("p50/p99 ns: %s; while measuring: %d minor page faults, %d GC cycles in this process",
		strings.Join(summary, ", "), faults, gcs)
	b.ReportMetric(0, "ns/op")
}

// tailBlock is how many round trips a variant makes before the next one's
// turn.
const tailBlock = 5000

// minorFaults is this process's minor page faults so far.
func minorFaults() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Minflt
}

// numGC is how many GC cycles this process has completed.
func numGC() int64 {
	var st runtime.MemStats
	runtime.ReadMemStats(&st)
	return int64(st.NumGC)
}
