package shmring

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

func newPair(t *testing.T, capacity int, opts ...Option) (*Producer, *Consumer) {
	t.Helper()
	r, err := Create("tachyon-go-test", capacity)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	p, err := r.Producer(opts...)
	if err != nil {
		t.Fatal(err)
	}
	c, err := r.Consumer(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return p, c
}

func TestSmokeRoundTrip(t *testing.T) {
	p, c := newPair(t, 4096)
	for i := range 1000 {
		msg := bytes.Repeat([]byte{byte(i)}, i%700)
		b, err := p.Acquire(len(msg))
		if err != nil {
			t.Fatalf("acquire %d: %v", i, err)
		}
		copy(b, msg)
		if err := p.Commit(len(msg), TypeID(i)); err != nil {
			t.Fatal(err)
		}
		f, err := c.Acquire()
		if err != nil {
			t.Fatalf("consume %d: %v", i, err)
		}
		if !bytes.Equal(f.Payload, msg) || f.Type != TypeID(i) {
			t.Fatalf("frame %d mismatch", i)
		}
		c.Commit()
	}
	if _, err := c.Acquire(); !errors.Is(err, ErrEmpty) {
		t.Fatalf("want ErrEmpty, got %v", err)
	}
	p.Close()
	if _, err := c.Acquire(); err != io.EOF {
		t.Fatalf("want EOF, got %v", err)
	}
}
