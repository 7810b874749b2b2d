package conn

import (
	"fmt"
	"time"
)

// The options of frame mode ((*Conn).Frames): batching, and how a blocked
// call waits.

// FramesOption configures frame mode (see (*Conn).Frames).
type FramesOption func(*framesConfig) error

type framesConfig struct {
	publishEvery int
	flushDelay   time.Duration
	spin         time.Duration // WithFramesSpin; negative: keep the connection's
	futexStage   time.Duration // WithFramesFutexStage; negative: frame mode's default
	earlyWrap    int           // WithFramesEarlyWrap; 0: off
}

// DefaultFlushDelay is how long a batching Frames (WithPublishEvery) may
// hold committed frames unpublished while idle, unless WithFlushDelay says
// otherwise.
const DefaultFlushDelay = 50 * time.Microsecond

// DefaultFramesFutexStage is the futex stage of frame mode on a connection
// opened without WithFutexStage: a side that stops spinning waits on the
// ring's futex word for up to this long, as the raw ring's sides do, before
// it parks in the netpoller. The futex wakes it faster than a doorbell, but
// holds an OS thread while it waits: at most max(2, GOMAXPROCS) threads of
// a process at once, the others go straight to the netpoller. Measured
// between two processes (tachyon-bench -only shm-raw/ping-pong,
// shm-raw/one-way,shm-frames,unix/echo,unix/io.Copy -sizes 32,1K,64K
// -count 3, three runs, 2026-12-06 21:54 UTC): a 32-byte frame ping-pong's
// p99 was 1.0-1.3 µs with the stage, as the raw ring's 1.1-1.3 µs,
// against 18-28 µs without it (the shm-frames/ping-pong-bell row), where a
// side that parked on its doorbell woke too late for the other side's spin,
// which parked too, and against 40 µs for an echo over a Unix socket in the
// same runs; 1 KiB streams moved 0.97-1.12× the raw ring's throughput
// (medians of per-round ratios) and 8.8-11.5× io.Copy's over a Unix socket.
const DefaultFramesFutexStage = time.Millisecond

// WithFramesSpin sets how long a blocked call of frame mode spins before it
// parks, on both sides of this end (WithSpin sets it for the whole
// connection at Dial or Accept). A request/response protocol whose round
// trip, including the peer's work, often outlasts conn's 20 µs default does
// better with a budget that covers it: a side that parks makes its peer's
// next wait include a wake-up, so the peer parks too.
func WithFramesSpin(d time.Duration) FramesOption {
	return func(c *framesConfig) error {
		c.spin = d
		return nonNegative("spin budget", d)
	}
}

// WithFramesFutexStage sets frame mode's futex stage (see
// DefaultFramesFutexStage and WithFutexStage); zero parks in the netpoller
// at once, as byte mode does by default.
func WithFramesFutexStage(d time.Duration) FramesOption {
	return func(c *framesConfig) error {
		c.futexStage = d
		return nonNegative("futex stage", d)
	}
}

// WithPublishEvery makes Commit publish only every n frames, as Tachyon
// does with n = 32, instead of after each one (see
// shmring.WithPublishEvery): fewer cache-line transfers when streaming
// small frames. Frames committed but not yet published are published by
// Flush, before Acquire waits for room, by Close and CloseWrite, and at the
// latest after the flush delay (WithFlushDelay).
func WithPublishEvery(n int) FramesOption {
	return func(c *framesConfig) error {
		if n < 1 {
			return fmt.Errorf("conn: publish interval %d must be at least 1", n)
		}
		c.publishEvery = n
		return nil
	}
}

// WithFlushDelay sets how long a batching Frames may hold committed frames
// unpublished while idle; default DefaultFlushDelay.
func WithFlushDelay(d time.Duration) FramesOption {
	return func(c *framesConfig) error {
		if d <= 0 {
			return fmt.Errorf("conn: flush delay %v must be positive", d)
		}
		c.flushDelay = d
		return nil
	}
}

// WithFramesEarlyWrap makes this end's writes go back to the start of the
// ring once the next frame would start past n by its own size and the peer
// has read every frame (shmring.WithEarlyWrap): request/response traffic
// then keeps close to the first n bytes of a ring however large it is, in
// cache lines that stay warm, and touches only those pages. Until the peer
// reads the frame that went back, the rest of the ring but n bytes is not
// free, so it suits peers that keep reading. Zero, the default, turns it
// off.
func WithFramesEarlyWrap(n int) FramesOption {
	return func(c *framesConfig) error {
		if n < 0 {
			return fmt.Errorf("conn: early-wrap position %d is negative", n)
		}
		c.earlyWrap = n
		return nil
	}
}
