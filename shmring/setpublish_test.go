package shmring

import (
	"errors"
	"testing"
	"time"
)

// SetPublishEvery turns batching on after the producer opened: commits stay
// unpublished until the n-th one or Flush, exactly as with WithPublishEvery.
func TestSetPublishEvery(t *testing.T) {
	_, p, c := openPair(t, 4096, nil, nil)
	if err := p.SetPublishEvery(0, time.Hour); err == nil {
		t.Fatal("SetPublishEvery(0) accepted")
	}
	if _, err := p.Acquire(8); err != nil {
		t.Fatal(err)
	}
	if err := p.SetPublishEvery(4, time.Hour); !errors.Is(err, ErrBusy) {
		t.Fatalf("SetPublishEvery with a view acquired: %v, want ErrBusy", err)
	}
	p.Rollback()
	if err := p.SetPublishEvery(4, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := p.SetPublishEvery(8, time.Hour); err == nil {
		t.Fatal("SetPublishEvery on a batching producer accepted")
	}
	for i := range 3 {
		if _, err := p.Acquire(8); err != nil {
			t.Fatal(err)
		}
		if err := p.Commit(8, TypeID(i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Acquire(); err != ErrEmpty {
		t.Fatalf("3 of 4 batched commits visible: %v", err)
	}
	if err := p.Flush(); err != nil {
		t.Fatal(err)
	}
	frames := make([]Frame, 8)
	if n, err := c.Drain(frames); n != 3 || err != nil {
		t.Fatalf("after Flush: Drain = %d, %v; want 3 frames", n, err)
	}
}
