package shmring_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/internal/peerproc"
	"github.com/tachyon-ipc/tachyon-go/shmring"
)

// The benchmarks of pure-spin mode and of the shared counters. The machines
// this runs on are noisy, so each benchmark interleaves its variants in
// short blocks (A B A B …) and reports per-variant medians with
// b.ReportMetric; ns/op is not meaningful for them.
//
//	go test -run '^$' -bench 'StatsCost|PureSpinRTT' -benchtime 200000x ./shmring

// statsModes are the variants of the stats benchmarks: counters mirrored
// into shared memory (the default) or kept private.
var statsModes = []struct {
	name   string
	mirror bool
}{{"on", true}, {"off", false}}

// BenchmarkStatsCostOneWay is the hot path alone, in one goroutine: fill a
// ring with 32-byte frames, drain it, repeat; the stats mode changes at
// every cycle. It reports the median per-frame cost of each mode.
func BenchmarkStatsCostOneWay(b *testing.B) {
	defer shmring.SetStatsMirror(true)
	r, err := shmring.Create("bench-stats", 1<<16)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	p, _ := r.Producer()
	c, _ := r.Consumer()
	frames := make([]shmring.Frame, 1024)
	perFrame := make([][]float64, len(statsModes))
	b.SetBytes(32)
	for done := 0; done < b.N*len(statsModes); {
		for m, mode := range statsModes {
			shmring.SetStatsMirror(mode.mirror)
			start := time.Now()
			n := 0
			for ; ; n++ {
				buf, err := p.Acquire(32)
				if errors.Is(err, shmring.ErrFull) {
					break
				}
				buf[0] = byte(n)
				p.Commit(32, 1)
			}
			for {
				if _, err := c.Drain(frames); err != nil {
					break
				}
				c.Commit()
			}
			perFrame[m] = append(perFrame[m], float64(time.Since(start).Nanoseconds())/float64(n))
			done += n
		}
	}
	for m, mode := range statsModes {
		b.ReportMetric(median(perFrame[m]), "ns/frame-stats-"+mode.name)
	}
}

// BenchmarkStatsCostRTT is the 32-byte ping-pong between two processes in
// pure-spin mode (where a few nanoseconds show), one peer per stats mode,
// the modes interleaved in blocks.
func BenchmarkStatsCostRTT(b *testing.B) {
	defer shmring.SetStatsMirror(true)
	var vs []rttVariant
	for _, mode := range statsModes {
		vs = append(vs, rttVariant{name: "stats-" + mode.name, mode: "pure-idle", noStats: !mode.mirror})
	}
	interleavedRTT(b, vs)
}

// BenchmarkPureSpinRTT is the 32-byte ping-pong between two processes with
// both processes in the default hybrid mode (spin, then park) or in pure
// spin, interleaved in blocks.
func BenchmarkPureSpinRTT(b *testing.B) {
	interleavedRTT(b, []rttVariant{{name: "hybrid", mode: "hybrid"}, {name: "pure", mode: "pure-idle"}})
}

type rttVariant struct {
	name    string
	mode    string // psOptions name for every side
	noStats bool   // both processes keep their counters private

	peer *peerproc.Peer
	p    *shmring.Producer
	c    *shmring.Consumer
	rtt  []float64
}

func interleavedRTT(b *testing.B, vs []rttVariant) {
	ctx, cancel := context.WithTimeout(context.Background(), psGuard)
	defer cancel()
	for i := range vs {
		v := &vs[i]
		var rings []*shmring.Ring
		v.peer, rings = psStart(b, "shmring-purespin-echo", 2, v.mode, v.mode, fmt.Sprint(v.noStats))
		v.p, _ = rings[0].Producer(psOptions(v.mode)...)
		v.c, _ = rings[1].Consumer(psOptions(v.mode)...)
	}
	var buf [32]byte
	round := func(v *rttVariant, i int) {
		binary.NativeEndian.PutUint64(buf[:], uint64(i))
		if err := v.p.Send(ctx, 1, buf[:]); err != nil {
			b.Fatal(err)
		}
		f, err := v.c.AcquireContext(ctx)
		if err != nil || binary.NativeEndian.Uint64(f.Payload) != uint64(i) {
			b.Fatalf("%s: echo %d: %v", v.name, i, err)
		}
		v.c.Commit()
	}
	const block = 2000
	for done := 0; done < b.N; done += block {
		for i := range vs {
			v := &vs[i]
			shmring.SetStatsMirror(!v.noStats)
			for j := range block {
				start := time.Now()
				round(v, done+j)
				v.rtt = append(v.rtt, float64(time.Since(start).Nanoseconds()))
			}
		}
	}
	for i := range vs {
		v := &vs[i]
		slices.Sort(v.rtt)
		b.ReportMetric(v.rtt[len(v.rtt)/2], "p50-ns-"+v.name)
		b.ReportMetric(v.rtt[len(v.rtt)*99/100], "p99-ns-"+v.name)
		v.p.Close()
		if _, err := v.c.AcquireContext(ctx); err == nil {
			b.Fatal("no EOF")
		}
		if err := v.peer.Wait(psGuard); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(0, "ns/op")
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
