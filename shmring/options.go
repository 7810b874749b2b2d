package shmring

import (
	"errors"
	"fmt"
	"runtime"
	"time"
)

// Option configures a Producer or a Consumer.
type Option func(*config) error

type config struct {
	spin         time.Duration
	wait         *Doorbell // WithDoorbells: we park on it
	wake         *Ringer   // WithDoorbells: we wake the peer with it
	publishEvery int
	flushDelay   time.Duration
	pureSpin     bool          // WithPureSpin
	pureIdle     time.Duration // WithPureSpin: spin this long, then nap
	tachyonWrap  bool          // WithTachyonWrap
	earlyWrap    int           // WithEarlyWrap; 0: off
	futexStage   time.Duration // WithFutexStage
}

func defaultConfig() config {
	return config{spin: DefaultSpin(), publishEvery: 1, flushDelay: 50 * time.Microsecond}
}

func (c *config) apply(opts []Option) error {
	for _, o := range opts {
		if err := o(c); err != nil {
			return err
		}
	}
	return nil
}

// DefaultSpin is the longest a side spins before parking when no WithSpin
// option is given: 20µs where this process may run on two or more CPUs at
// once, and none at all with one (spinning there only delays the peer we wait
// for). runtime.GOMAXPROCS already reflects the cgroup CPU quota (Go 1.25+).
func DefaultSpin() time.Duration {
	if runtime.GOMAXPROCS(0) < 2 || runtime.NumCPU() < 2 {
		return 0
	}
	return 20 * time.Microsecond
}

// WithFutexStage makes a doorbell-mode park (WithDoorbells) wait first on
// the shared futex word, for at most d, before it parks on the doorbell.
// A futex wake-up is two to three times faster than a goroutine parked in
// the netpoller (measured here: a parked 32-byte round trip of 6.6-11 µs
// instead of 19.5 µs), but the waiting goroutine holds an OS thread, so at
// most max(2, GOMAXPROCS) waiters of the process are in that stage at once.
// It suits request/response peers whose replies come within d; it made
// gRPC unary calls about 10% slower here, so it is off by default (zero).
// Futex mode ignores it: there every park is on the futex.
func WithFutexStage(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return fmt.Errorf("shmring: negative futex stage %v", d)
		}
		c.futexStage = d
		return nil
	}
}

// WithSpin sets the longest a blocked side spins, polling the ring and
// yielding with runtime.Gosched, before it parks. The budget adapts: it
// halves each time spinning fails, down to a thirty-second of d, and doubles
// back each time it succeeds. Zero disables spinning.
func WithSpin(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return fmt.Errorf("shmring: negative spin budget %v", d)
		}
		c.spin = d
		return nil
	}
}

// WithDoorbells makes the side park on wait, its own doorbell, and wake its
// peer with wake, the ringer of the peer's doorbell, instead of Tachyon's
// futex. Both peers must agree (the conn package negotiates it); a Tachyon
// peer knows only the futex.
func WithDoorbells(wait *Doorbell, wake *Ringer) Option {
	return func(c *config) error {
		if wait == nil || wake == nil {
			return errors.New("shmring: WithDoorbells needs both doorbells")
		}
		c.wait, c.wake = wait, wake
		return nil
	}
}

// WithPublishEvery makes a Producer publish its head only every n commits,
// as Tachyon does with n = 32, instead of after each one. Frames committed
// but not yet published are published by Flush, before the producer waits,
// and by an idle-flush timer within about two WithFlushDelay periods after
// the last commit, so a producer that goes idle never strands a frame.
// Consumers ignore it.
func WithPublishEvery(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("shmring: publish interval %d must be at least 1", n)
		}
		c.publishEvery = n
		return nil
	}
}

// WithFlushDelay sets how long a batching Producer (WithPublishEvery > 1)
// may hold committed frames unpublished while idle: the idle-flush timer
// looks every d, re-arms while commits keep coming and publishes once they
// stopped, so the last frames of a burst wait between d and about 2d.
// Default 50µs.
func WithFlushDelay(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("shmring: flush delay %v must be positive", d)
		}
		c.flushDelay = d
		return nil
	}
}

// CreateOption configures Create.
type CreateOption func(*createConfig) error

type createConfig struct {
	numaNode int // WithNUMANode; -1 leaves placement to the kernel
}

func defaultCreateConfig() createConfig { return createConfig{numaNode: -1} }

// WithTachyonWrap makes a Producer write a wrap marker only together with
// the frame that follows it, as Tachyon's producer does, instead of writing
// and publishing the marker ahead of a frame that does not fit yet.
// Tachyon's C++ consumer reads the header at offset 0 right after a marker
// without re-checking head, so a marker published alone makes it deliver a
// stale frame (ABI.md §6): use this option whenever the consumer may be
// Tachyon's, as package bus does. Frames then progress only if marker and
// frame fit together (slots up to half the ring always do, as in Tachyon).
// Consumers ignore it.
func WithTachyonWrap() Option {
	return func(c *config) error {
		c.tachyonWrap = true
		return nil
	}
}

// WithEarlyWrap makes a Producer whose write position is past n by at
// least the next frame's slot, and which finds the ring empty (its
// consumer has taken every frame), put that frame at offset 0, behind a
// wrap marker written and published with the frame. Traffic that never
// fills much of the ring then keeps close to its first n bytes: fewer
// cache lines and pages in use, which stay warm, and small frames do not
// fault in every page of a fresh ring.
//
// The price: until the consumer reads that frame, the bytes the marker
// skips are not free; at least n bytes of room remain, less than the
// producer would otherwise have had. It suits consumers that keep reading,
// such as request/response peers. While the ring is not empty, the producer
// loads the consumer's tail for this once per eighth of n it writes (or per
// sixteenth of the ring, if less), so a consumer that lags lets the
// position run on a little past n. Zero, the default, turns it off; a
// producer with WithTachyonWrap ignores it, keeping Tachyon's layout.
// Consumers need nothing: they follow a wrap marker wherever it stands
// (ABI.md §2.2).
func WithEarlyWrap(n int) Option {
	return func(c *config) error {
		if n < 0 {
			return fmt.Errorf("shmring: early-wrap position %d is negative", n)
		}
		c.earlyWrap = n
		return nil
	}
}

// SetSpin changes the producer's spin budget, as WithSpin sets it at open.
// Call it while no wait of the producer is in progress, for instance before
// the producer is first used; it does nothing in pure-spin mode.
func (p *Producer) SetSpin(d time.Duration) {
	if !p.w.pureSpin {
		p.w.spin = newSpinner(max(d, 0))
	}
}

// SetSpin changes the consumer's spin budget; see Producer.SetSpin.
func (c *Consumer) SetSpin(d time.Duration) {
	if !c.w.pureSpin {
		c.w.spin = newSpinner(max(d, 0))
	}
}

// SetFutexStage changes the producer's futex stage, as WithFutexStage sets
// it at open. Call it while no wait of the producer is in progress, as
// SetSpin.
func (p *Producer) SetFutexStage(d time.Duration) { p.w.futexStage = max(d, 0) }

// SetFutexStage changes the consumer's futex stage; see
// Producer.SetFutexStage.
func (c *Consumer) SetFutexStage(d time.Duration) { c.w.futexStage = max(d, 0) }
