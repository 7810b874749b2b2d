package shmring

import (
	"context"
	"io"
	"testing"
	"time"
)

// Closing (ABI.md §3.4): the producer's closed flag ends the stream with
// io.EOF after the last frame; the consumer's makes the producer fail.

func TestProducerCloseThenEOF(t *testing.T) {
	// Batching with no idle flush: Close itself must publish the frames.
	opts := []Option{WithPublishEvery(32), WithFlushDelay(time.Hour)}
	r, p, c := openPair(t, 1024, opts, nil)
	for i := range 3 {
		mustSend(t, p, TypeID(i), []byte{byte(i)})
	}
	if r.head.Load() != 0 {
		t.Fatal("set-up: batched frames already published")
	}
	if _, err := p.Acquire(10); err != nil { // a view in flight is abandoned
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if r.producerFlags.Load()&FlagClosed == 0 {
		t.Fatal("Close did not set the producer's closed flag")
	}
	for i := range 3 {
		mustRecv(t, c, TypeID(i), []byte{byte(i)})
	}
	for range 2 {
		_, err := c.Acquire()
		wantErr(t, err, io.EOF)
	}
	_, err := c.AcquireContext(context.Background())
	wantErr(t, err, io.EOF)
	if n, err := c.Drain(make([]Frame, 4)); n != 0 || err != io.EOF {
		t.Fatalf("Drain after EOF = %d, %v", n, err)
	}
	_, err = p.Acquire(1)
	wantErr(t, err, ErrClosed)
	wantErr(t, p.Send(context.Background(), 1, nil), ErrClosed)
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// TestEOFNeverLosesFrames races a producer that sends a few frames and
// closes against a consumer reading until EOF, many times: the consumer
// must see every frame before io.EOF (it reloads head after the flag).
func TestEOFNeverLosesFrames(t *testing.T) {
	for _, mode := range waitModes {
		t.Run(mode.name, func(t *testing.T) {
			for i := range 500 {
				p, c, done := roundPair(t, 256, mode.name == "doorbell")
				n := i % 6
				closed := make(chan struct{})
				go func() {
					for k := range n {
						p.Send(context.Background(), TypeID(k), []byte{byte(k)})
					}
					p.Close()
					close(closed)
				}()
				ctx := guardCtx(t)
				for k := 0; ; k++ {
					f, err := c.AcquireContext(ctx)
					if err == io.EOF {
						if k != n {
							t.Fatalf("round %d: EOF after %d of %d frames", i, k, n)
						}
						break
					}
					if err != nil || f.Type != TypeID(k) || len(f.Payload) != 1 || f.Payload[0] != byte(k) {
						t.Fatalf("round %d frame %d: type %d payload %v, %v", i, k, f.Type, f.Payload, err)
					}
					c.Commit()
				}
				<-closed
				done()
			}
		})
	}
}

func TestConsumerCloseStopsProducer(t *testing.T) {
	r, p, c := openPair(t, 1024, nil, nil)
	mustSend(t, p, 1, []byte("unread"))
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if r.consumerFlags.Load()&FlagClosed == 0 {
		t.Fatal("Close did not set the consumer's closed flag")
	}
	_, err := p.Acquire(1)
	wantErr(t, err, ErrPeerClosed)
	_, err = p.AcquireUpTo(0, 10)
	wantErr(t, err, ErrPeerClosed)
	wantErr(t, p.Send(context.Background(), 1, []byte("x")), ErrPeerClosed)
	_, err = p.AcquireContext(context.Background(), 1)
	wantErr(t, err, ErrPeerClosed)
	_, err = c.Acquire()
	wantErr(t, err, ErrClosed)
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	// The producer can still close cleanly.
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
}
