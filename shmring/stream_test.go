package shmring

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
)

// stream is a deterministic sequence of frames for the stress and
// cross-process tests. Frame seq's size, type and every payload byte derive
// from seq alone, so a receiver in another goroutine or process checks
// order and content without shared state: the type carries the low 32 bits
// of seq, the payload is a window of a random pattern chosen by seq.
type stream struct {
	salt    uint64
	maxSize int    // largest payload, extra reservation included
	pattern []byte // payloads are windows of it
}

const patternWindows = 1 << 16

func newStream(salt uint64, maxSize int) *stream {
	rng := rand.New(rand.NewPCG(salt, 0x74616368796f6e))
	pattern := make([]byte, patternWindows+maxSize)
	for i := range pattern {
		pattern[i] = byte(rng.Uint32())
	}
	return &stream{salt: salt, maxSize: maxSize, pattern: pattern}
}

// mix is SplitMix64's finalizer: a cheap, well-spread hash of seq.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// frame describes frame seq: its payload, its type, and how many bytes
// more than the payload the producer reserves (committing less than it
// acquired, as Tachyon's reserved_size allows). Sizes run from 0 to
// maxSize, mostly small.
func (s *stream) frame(seq uint64) (payload []byte, typ TypeID, extra int) {
	h := mix(seq ^ s.salt)
	var size int
	switch h % 8 {
	case 0, 1, 2, 3, 4:
		size = int(h>>8) % min(65, s.maxSize+1)
	case 5, 6:
		size = int(h>>8) % min(1025, s.maxSize+1)
	default:
		size = int(h>>8) % (s.maxSize + 1)
	}
	if h>>40%4 == 0 {
		extra = int(h>>44) % (s.maxSize - size + 1)
	}
	off := int(h>>32) % patternWindows
	return s.pattern[off : off+size], TypeID(uint32(seq)), extra
}

// check reports whether f is frame seq.
func (s *stream) check(seq uint64, f Frame) error {
	payload, typ, _ := s.frame(seq)
	if f.Type != typ || !bytes.Equal(f.Payload, payload) {
		return fmt.Errorf("frame %d: got type %#x and %d bytes, want type %#x and %d bytes (or other content)",
			seq, uint32(f.Type), len(f.Payload), uint32(typ), len(payload))
	}
	return nil
}

// produce sends frames 0 to n-1, blocking for room, then closes p. Every
// seventh frame goes through Send, the others through the zero-copy calls.
func (s *stream) produce(ctx context.Context, p *Producer, n uint64) error {
	for seq := range n {
		payload, typ, extra := s.frame(seq)
		if seq%7 == 3 {
			if err := p.Send(ctx, typ, payload); err != nil {
				return fmt.Errorf("send frame %d: %w", seq, err)
			}
			continue
		}
		b, err := p.AcquireContext(ctx, len(payload)+extra)
		if err != nil {
			return fmt.Errorf("acquire frame %d (%d+%d bytes): %w", seq, len(payload), extra, err)
		}
		copy(b, payload)
		if err := p.Commit(len(payload), typ); err != nil {
			return fmt.Errorf("commit frame %d: %w", seq, err)
		}
	}
	return p.Close()
}

// consume receives and checks frames 0 to n-1, then expects io.EOF. It
// alternates single acquires with batches drained and committed at once.
func (s *stream) consume(ctx context.Context, c *Consumer, n uint64) error {
	batch := make([]Frame, 16)
	var seq uint64
	for {
		f, err := c.AcquireContext(ctx)
		if errors.Is(err, io.EOF) {
			if seq != n {
				return fmt.Errorf("EOF after %d frames, want %d", seq, n)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("after %d frames: %w", seq, err)
		}
		batch[0] = f
		k := 1
		if seq%3 == 0 {
			m, _ := c.Drain(batch[1:]) // an error here comes back from AcquireContext
			k += m
		}
		for _, f := range batch[:k] {
			if seq >= n {
				return fmt.Errorf("frame beyond the %d sent", n)
			}
			if err := s.check(seq, f); err != nil {
				return err
			}
			seq++
		}
		if err := c.Commit(); err != nil {
			return err
		}
	}
}

// pipe streams n frames from p to c, producing in a new goroutine and
// consuming in this one; the first side to fail stops the other.
func (s *stream) pipe(ctx context.Context, p *Producer, c *Consumer, n uint64) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		err := s.produce(ctx, p, n)
		if err != nil {
			cancel()
		}
		errc <- err
	}()
	cerr := s.consume(ctx, c, n)
	if cerr != nil {
		cancel()
	}
	perr := <-errc
	if perr != nil {
		return fmt.Errorf("producer: %w (consumer: %v)", perr, cerr)
	}
	return cerr
}
