package shmring

import "fmt"

// A consumer that keeps up with a streaming producer reads every frame
// right after it is published, a few cache lines behind the producer's
// write position, and slows the producer's next writes: the lines it reads
// (and, most likely, those its CPU's prefetchers fetch after them) must go
// back to the producer's CPU before it can write there again. Touching one
// byte per payload line cost as much as copying the payload out. A consumer
// that waits for 64 KiB of frames before it reads stays out of the way:
// between two processes, 1 KiB frames, one run (2026-12-06 19:58 UTC,
// tachyon-bench, docs/tachyon-bench.txt), 2.38 GB/s at the producer's heels
// against 3.14 GB/s with the mark, where a Unix socket's io.Copy moved
// 237 MB/s. TCP has the same knob for the same trade: SO_RCVLOWAT.

// lowWaterPolls is how many more polls Wait makes, once fewer than the
// low-water mark's bytes are published, before it returns with what there
// is: about a microsecond of added latency at most, while a spinning
// wait's clock is not read.
const lowWaterPolls = 256

// SetLowWater makes Wait return only once n bytes of frames (headers and
// padding included) are published past the read position, once the
// producer closed, or shortly (lowWaterPolls polls, about 1 µs) after
// fewer arrived: a throughput mode for consumers of a stream, which then
// stay far enough behind the producer not to slow its writes. It costs a
// lone frame up to that much latency, so request/response traffic should
// keep the default, 0 (Wait returns as soon as one frame is published). A
// parked Wait still returns at the first wake-up. n may not exceed half
// the ring. Call it from the consumer's goroutine.
func (c *Consumer) SetLowWater(n int) error {
	if n < 0 || n > int(c.r.cap/2) {
		return fmt.Errorf("shmring: low-water mark %d outside [0, %d]", n, c.r.cap/2)
	}
	c.lowWater = uint64(n)
	return nil
}

// readyLowWater is Wait's poll with a low-water mark.
func (c *Consumer) readyLowWater(polls *int) bool {
	h := c.r.head.Load()
	switch {
	case h-c.pos >= c.lowWater, c.r.producerFlags.Load()&FlagClosed != 0:
		return true
	case h != c.head:
		*polls++
		return *polls > lowWaterPolls
	}
	return false
}
