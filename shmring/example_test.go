package shmring_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"time"

	"github.com/tachyon-ipc/tachyon-go/shmring"
)

// A ring lives in a sealed memfd. The creator formats it; a peer process
// receives r.Fd() over a Unix socket and maps it with shmring.Attach.
func ExampleCreate() {
	r, err := shmring.Create("example", 64<<10)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	fmt.Println("capacity:", r.Capacity())
	fmt.Println("largest frame:", r.MaxPayload())
	fmt.Println("state:", r.State() == shmring.StateReady)

	// In this example the peer is ourselves.
	peer, err := shmring.Attach(r.Fd(), 64<<10)
	if err != nil {
		log.Fatal(err)
	}
	defer peer.Close()
	fmt.Println("attached:", peer.Capacity())
	// Output:
	// capacity: 65536
	// largest frame: 65472
	// state: true
	// attached: 65536
}

// The zero-copy cycle: the producer writes straight into the ring and
// commits what it wrote; the consumer reads a view of the ring and commits
// to release it.
func ExampleProducer_Acquire() {
	r, err := shmring.Create("example", 4096)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	p, _ := r.Producer()
	c, _ := r.Consumer()

	buf, err := p.Acquire(64) // room for up to 64 bytes
	if err != nil {
		log.Fatal(err)
	}
	n := copy(buf, "hello, ring")
	if err := p.Commit(n, 1); err != nil { // publish the first n bytes as type 1
		log.Fatal(err)
	}

	f, err := c.Acquire()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("type %d: %s\n", f.Type, f.Payload) // f.Payload is a view into the ring
	c.Commit()                                     // the view is invalid from here on

	_, err = c.Acquire()
	fmt.Println(errors.Is(err, shmring.ErrEmpty))
	// Output:
	// type 1: hello, ring
	// true
}

// Drain takes every ready frame at once; one Commit releases the batch.
func ExampleConsumer_Drain() {
	r, err := shmring.Create("example", 4096)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	p, _ := r.Producer()
	c, _ := r.Consumer()
	ctx := context.Background()
	for _, s := range []string{"one", "two", "three"} {
		if err := p.Send(ctx, 0, []byte(s)); err != nil {
			log.Fatal(err)
		}
	}

	frames := make([]shmring.Frame, 16)
	n, err := c.Drain(frames)
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range frames[:n] {
		fmt.Println(string(f.Payload))
	}
	c.Commit()
	fmt.Println("buffered after commit:", c.Buffered())
	// Output:
	// one
	// two
	// three
	// buffered after commit: 0
}

// A TypeID carries Tachyon's route id in its high 16 bits and a message
// type in its low 16 bits.
func ExampleMakeTypeID() {
	t := shmring.MakeTypeID(7, 42)
	fmt.Printf("%#08x route %d msg %d\n", uint32(t), t.Route(), t.MsgType())
	// Output:
	// 0x0007002a route 7 msg 42
}

// Send and AcquireContext block while the ring is full or empty, until the
// context ends. Closing the producer ends the stream: the consumer reads
// io.EOF after the last frame.
func ExampleConsumer_AcquireContext() {
	r, err := shmring.Create("example", 256) // smaller than the data: both sides wait
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	p, _ := r.Producer()
	c, _ := r.Consumer()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	go func() {
		for i := range 100 {
			if err := p.Send(ctx, shmring.TypeID(i), []byte{byte(i)}); err != nil {
				log.Print(err)
				break
			}
		}
		p.Close()
	}()

	sum := 0
	for {
		f, err := c.AcquireContext(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		sum += int(f.Payload[0])
		c.Commit()
	}
	fmt.Println("sum:", sum)
	// Output:
	// sum: 4950
}
