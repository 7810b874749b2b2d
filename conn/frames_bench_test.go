package conn_test

import (
	"context"
	"testing"

	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/internal/bench"
	"github.com/tachyon-ipc/tachyon-go/internal/bench/benchtest"
	"github.com/tachyon-ipc/tachyon-go/shmring"
)

// BenchmarkFrames sets frame mode over Dial/Accept beside the raw rings it
// runs on, with the same traffic, ring sizes and batching (the scenarios of
// internal/bench): the difference is what the connection costs.
//
//	go test -run '^$' -bench Frames -count 6 ./conn | tee new.txt
//	benchstat -col /transport new.txt
func BenchmarkFrames(b *testing.B) {
	for _, c := range []struct {
		name, transport string
		size            int
	}{
		{"ping-pong", "shm-raw", 32},
		{"ping-pong", "shm-frames", 32},
		{"one-way", "shm-raw", 1 << 10},
		{"one-way", "shm-frames", 1 << 10},
		{"one-way", "shm-raw", 64 << 10},
		{"one-way", "shm-frames", 64 << 10},
	} {
		b.Run(c.name+"/size="+bench.FormatSize(c.size)+"/transport="+c.transport, func(b *testing.B) {
			benchtest.Run(b, c.transport+"/"+c.name, c.size)
		})
	}
}

// BenchmarkFramesOverhead is the CPU cost of one 1 KiB frame sent and
// received by one goroutine, with nothing to wait for: frame mode over a
// Pipe against bare ring sides on the same kind of rings (two mappings of
// one memfd, a Flush per release, as the connection has). Nothing waits,
// so how a side would park does not matter. The difference is the
// connection's own hot-path work: the two sides' gates and state checks.
func BenchmarkFramesOverhead(b *testing.B) {
	b.Run("transport=shm-raw", func(b *testing.B) {
		r, err := shmring.Create("tachyon-go:bench", conn.DefaultRingSize)
		if err != nil {
			b.Fatal(err)
		}
		defer r.Close()
		r2, err := shmring.Attach(r.Fd(), conn.DefaultRingSize)
		if err != nil {
			b.Fatal(err)
		}
		defer r2.Close()
		p, _ := r.Producer()
		c, _ := r2.Consumer()
		msg := make([]byte, 1<<10)
		for b.Loop() {
			buf, err := p.Acquire(len(msg))
			if err != nil {
				b.Fatal(err)
			}
			copy(buf, msg)
			p.Commit(len(msg), 1)
			fr, err := c.Acquire()
			if err != nil {
				b.Fatal(err)
			}
			copy(msg, fr.Payload)
			c.Commit()
			c.Flush()
		}
	})
	b.Run("transport=shm-frames", func(b *testing.B) {
		tx, rx := framesPipe(b)
		ctx := context.Background()
		msg := make([]byte, 1<<10)
		for b.Loop() {
			buf, err := tx.Acquire(ctx, len(msg))
			if err != nil {
				b.Fatal(err)
			}
			copy(buf, msg)
			tx.Commit(len(msg), 1)
			fr, err := rx.Next(ctx)
			if err != nil {
				b.Fatal(err)
			}
			copy(msg, fr.Payload)
			rx.Release()
		}
	})
}
