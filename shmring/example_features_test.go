package shmring_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/tachyon-ipc/tachyon-go/shmring"
)

// A latency-critical consumer on a dedicated core: it never parks, so its
// producer never makes a wake system call. After a millisecond without
// frames it naps in slices of at most PureSpinNap instead of burning the
// core, and stays in the mode.
func ExampleWithPureSpin() {
	r, err := shmring.Create("example-purespin", 1<<16)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	p, _ := r.Producer()
	c, err := r.Consumer(shmring.WithPureSpin(time.Millisecond))
	if err != nil {
		log.Fatal(err)
	}
	if err := p.Send(context.Background(), 1, []byte("tick")); err != nil {
		log.Fatal(err)
	}
	f, _ := c.AcquireContext(context.Background())
	fmt.Printf("%s, producer wakes: %d\n", f.Payload, p.Stats().Wakes)
	info, _ := r.Info()
	fmt.Println("consumer word:", info.ConsumerWord)
	// Output:
	// tick, producer wakes: 0
	// consumer word: pure-spin
}

// Place a ring on the NUMA node of the cores that run both sides. Node 0
// always exists; a node the machine lacks is a clear error.
func ExampleWithNUMANode() {
	r, err := shmring.Create("example-numa", 1<<16, shmring.WithNUMANode(0))
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	_, err = shmring.Create("example-numa", 1<<16, shmring.WithNUMANode(999))
	fmt.Println(errors.Is(err, shmring.ErrNoNUMANode))
	// Output: true
}

// An observer reads a ring without writing a byte (as tachyon-top does
// from /proc/PID/fd): its fill, sleeping words and both sides' counters.
func ExampleInspectFd() {
	r, err := shmring.Create("example-inspect", 4096)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	p, _ := r.Producer()
	p.Send(context.Background(), 1, make([]byte, 100)) // one 192-byte slot

	in, err := shmring.InspectFd(r.Fd())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("capacity %d, fill %d, %d frame(s) / %d bytes sent, consumer %v\n",
		in.Capacity, in.Fill, in.Producer.Frames, in.Producer.Bytes, in.ConsumerWord)
	// Output: capacity 4096, fill 192, 1 frame(s) / 100 bytes sent, consumer awake
}

// The receiving end of a stream waits for 64 KiB of frames before it reads,
// which keeps it out of its producer's way; a lone frame below the mark
// still comes out of Wait about a microsecond later.
func ExampleConsumer_SetLowWater() {
	r, err := shmring.Create("example-lowwater", 1<<20)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	p, _ := r.Producer()
	c, _ := r.Consumer()
	if err := c.SetLowWater(64 << 10); err != nil {
		log.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second)) // a reader's wait has a bound
	go func() {
		for i := range 1000 {
			p.Send(context.Background(), 1, make([]byte, 1000+i%24))
		}
		p.Close()
	}()
	frames, bytes := 0, 0
	batch := make([]shmring.Frame, 64)
	for {
		n, err := c.Drain(batch)
		if err == shmring.ErrEmpty {
			if err := c.Wait(); err != nil {
				log.Fatal(err)
			}
			continue
		}
		if err != nil { // io.EOF once the producer closed and all was read
			break
		}
		for _, f := range batch[:n] {
			bytes += len(f.Payload)
		}
		frames += n
		c.Commit()
	}
	fmt.Println(frames, "frames,", bytes, "bytes")
	// Output: 1000 frames, 1011436 bytes
}
