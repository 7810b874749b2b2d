package shmring

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/internal/sys"
)

// A batching producer gets every frame it committed to the consumer, with
// its calls taking no lock (where membarrier(2) is) or the mutex: bursts
// of random length, each read whole before the next, so the idle flush
// publishes the tail of every burst, and fires now and then while the
// producer is in the middle of one.
func TestBatchingBursts(t *testing.T) {
	for _, light := range []bool{true, false} {
		t.Run(fmt.Sprintf("light=%v", light), func(t *testing.T) {
			lightBatchOn = light
			defer func() { lightBatchOn = true }()
			_, p, c := openPair(t, 1<<16, []Option{WithPublishEvery(32), WithFlushDelay(20 * time.Microsecond)}, nil)
			if want := light && sys.ProcessBarrierAvailable(); p.batch.light != want {
				t.Fatalf("light batching %v, want %v", p.batch.light, want)
			}
			ctx := guardCtx(t)
			rnd := rand.New(rand.NewPCG(1, 2))
			total := 0
			for range 300 {
				n := 1 + rnd.IntN(70)
				for i := range n {
					mustSend(t, p, TypeID(total+i), []byte(fmt.Sprint(total+i)))
				}
				for i := range n {
					f, err := c.AcquireContext(ctx)
					if err != nil {
						t.Fatalf("frame %d: %v", total+i, err)
					}
					if f.Type != TypeID(total+i) || string(f.Payload) != fmt.Sprint(total+i) {
						t.Fatalf("frame %d: type %d %q", total+i, f.Type, f.Payload)
					}
					c.Commit()
				}
				total += n
			}
			if err := p.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
