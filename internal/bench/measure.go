package bench

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/tachyon-ipc/tachyon-go/internal/hist"
)

// The measuring loops every scenario shares: round trips into a histogram,
// or a one-way stream into a byte count.

func (p Params) resetTimer() {
	if p.Timer != nil {
		p.Timer.ResetTimer()
	}
}

func (p Params) stopTimer() {
	if p.Timer != nil {
		p.Timer.StopTimer()
	}
}

// warmup repeats op for p.Warmup, checking the clock every batch calls.
func warmup(p Params, op func() error, batch int) (int64, error) {
	if p.Warmup <= 0 {
		return 0, nil
	}
	var n int64
	start := time.Now()
	for time.Since(start) < p.Warmup {
		for range batch {
			if err := op(); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

// MeasureRTT warms up, then times roundTrip Count times or for Duration and
// records every round trip. One clock read per round trip: each sample runs
// from the previous read to the next, so the loop's own cost (a clock read
// and a histogram update, some 20–40 ns) is included, alike for every
// transport.
func MeasureRTT(p Params, roundTrip func() error) (Result, error) {
	if _, err := warmup(p, roundTrip, 1); err != nil {
		return Result{}, err
	}
	h := hist.New()
	p.resetTimer()
	base := time.Now()
	var prev time.Duration
	var n int64
	for {
		if err := roundTrip(); err != nil {
			return Result{}, err
		}
		now := time.Since(base)
		h.Record(int64(now - prev))
		prev = now
		n++
		if p.Count > 0 && n >= int64(p.Count) || p.Count <= 0 && now >= p.Duration {
			break
		}
	}
	p.stopTimer()
	return Result{Hist: h, Msgs: n, Bytes: n * int64(p.Size), Elapsed: prev}, nil
}

// streamBatch is how many sends a stream makes between clock reads.
const streamBatch = 64

// MeasureStream warms up, then calls send Count times or for Duration, then
// finish, which ends the stream and waits until the peer has received it
// all; total is every send made, warm-up included, for finish to check
// against the peer's count. The measured time runs to the end of finish.
func MeasureStream(p Params, send func() error, finish func(total int64) error) (Result, error) {
	warm, err := warmup(p, send, streamBatch)
	if err != nil {
		return Result{}, err
	}
	p.resetTimer()
	start := time.Now()
	var n int64
	if p.Count > 0 {
		for ; n < int64(p.Count); n++ {
			if err := send(); err != nil {
				return Result{}, err
			}
		}
	} else {
		for time.Since(start) < p.Duration {
			for range streamBatch {
				if err := send(); err != nil {
					return Result{}, err
				}
			}
			n += streamBatch
		}
	}
	if err := finish(warm + n); err != nil {
		return Result{}, err
	}
	elapsed := time.Since(start)
	p.stopTimer()
	return Result{Msgs: n, Bytes: n * int64(p.Size), Elapsed: elapsed}, nil
}

// payload returns the n bytes a scenario sends: a counting pattern, so that
// checkEcho notices a transport that garbles or reorders bytes.
func payload(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

// ErrBadEcho reports an echo that differs from what was sent.
var ErrBadEcho = errors.New("bench: echo differs from the message sent")

func checkEcho(got, sent []byte) error {
	if !bytes.Equal(got, sent) {
		return fmt.Errorf("%w (%d bytes back for %d)", ErrBadEcho, len(got), len(sent))
	}
	return nil
}
