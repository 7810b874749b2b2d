package bus

import (
	"context"

	"github.com/tachyon-ipc/tachyon-go/shmring"
)

// Producer writes frames into a bus ring. It is a shmring.Producer in
// Tachyon's wait mode (it wakes the consumer with the shared futex on
// consumer_sleeping) that writes each wrap marker together with the frame
// after it (shmring.WithTachyonWrap), and whose acquire methods refuse
// frames larger than a Tachyon consumer can drain: see TachyonMaxPayload.
// Like shmring.Producer it is meant for one goroutine at a time.
type Producer struct {
	*shmring.Producer
	capacity int
	max      int
}

func newProducer(r *shmring.Ring, cfg *config) (*Producer, error) {
	opts := append(cfg.ringOptions(), shmring.WithPublishEvery(cfg.publishEvery), shmring.WithTachyonWrap())
	p, err := r.Producer(opts...)
	if err != nil {
		return nil, err
	}
	return &Producer{Producer: p, capacity: r.Capacity(), max: TachyonMaxPayload(r.Capacity())}, nil
}

// MaxPayload returns the largest payload this producer accepts, -1 if the
// ring is too small for any frame (below 2048 bytes).
func (p *Producer) MaxPayload() int { return p.max }

func (p *Producer) check(n int) error {
	if n > p.max {
		return &FrameLimitError{Size: n, Max: p.max, Capacity: p.capacity, Need: CapacityFor(n)}
	}
	return nil
}

// Acquire is shmring.Producer.Acquire with the Tachyon frame limit.
func (p *Producer) Acquire(n int) ([]byte, error) {
	if err := p.check(n); err != nil {
		return nil, err
	}
	return p.Producer.Acquire(n)
}

// AcquireUpTo is shmring.Producer.AcquireUpTo with the Tachyon frame
// limit: maxN is lowered to MaxPayload, a larger minN is refused.
func (p *Producer) AcquireUpTo(minN, maxN int) ([]byte, error) {
	if err := p.check(minN); err != nil {
		return nil, err
	}
	return p.Producer.AcquireUpTo(minN, min(maxN, p.max))
}

// AcquireContext is shmring.Producer.AcquireContext with the Tachyon frame
// limit.
func (p *Producer) AcquireContext(ctx context.Context, n int) ([]byte, error) {
	if err := p.check(n); err != nil {
		return nil, err
	}
	return p.Producer.AcquireContext(ctx, n)
}

// Send copies payload into one frame of type t, waiting for room until ctx
// is done.
func (p *Producer) Send(ctx context.Context, t shmring.TypeID, payload []byte) error {
	if err := p.check(len(payload)); err != nil {
		return err
	}
	return p.Producer.Send(ctx, t, payload)
}

// Consumer reads frames from a bus ring. It is a shmring.Consumer in
// Tachyon's wait mode (it parks on the shared futex a Tachyon producer
// wakes) that ignores what Tachyon leaves undefined: on a plain bus header
// bytes 12–63 may hold stale payload, so Frame.CorrelationID is always 0.
// Like shmring.Consumer it is meant for one goroutine at a time.
type Consumer struct {
	*shmring.Consumer
	rpc bool
}

func newConsumer(r *shmring.Ring, cfg *config, rpc bool) (*Consumer, error) {
	c, err := r.Consumer(cfg.ringOptions()...)
	if err != nil {
		return nil, err
	}
	return &Consumer{Consumer: c, rpc: rpc}, nil
}

func (c *Consumer) clean(f shmring.Frame) shmring.Frame {
	if !c.rpc {
		f.CorrelationID = 0
	}
	return f
}

// Acquire is shmring.Consumer.Acquire.
func (c *Consumer) Acquire() (shmring.Frame, error) {
	f, err := c.Consumer.Acquire()
	return c.clean(f), err
}

// Drain is shmring.Consumer.Drain.
func (c *Consumer) Drain(frames []shmring.Frame) (int, error) {
	n, err := c.Consumer.Drain(frames)
	if !c.rpc {
		// Field by field: copying whole Frames in and out costs a
		// store-forwarding stall per frame (shmring's Consumer.Acquire).
		for i := range frames[:n] {
			frames[i].CorrelationID = 0
		}
	}
	return n, err
}

// AcquireContext is shmring.Consumer.AcquireContext.
func (c *Consumer) AcquireContext(ctx context.Context) (shmring.Frame, error) {
	f, err := c.Consumer.AcquireContext(ctx)
	return c.clean(f), err
}
