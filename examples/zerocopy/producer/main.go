// Command producer listens on a Unix socket, accepts one consumer and writes
// frames straight into the shared memory of the connection: each frame is
// filled in place inside the ring, and no system call is made per frame
// while the consumer keeps up.
//
//	go run ./examples/zerocopy/producer -socket /tmp/tachyon-frames.sock
package main

import (
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"log"
	"time"

	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/listener"
	"github.com/tachyon-ipc/tachyon-go/shmring"
)

func main() {
	socket := flag.String("socket", "/tmp/tachyon-frames.sock", "Unix socket path the consumer connects to")
	frames := flag.Int("frames", 1_000_000, "frames to send")
	size := flag.Int("size", 64, "payload bytes per frame (at least 8)")
	capacity := flag.Int("capacity", conn.DefaultRingSize, "ring capacity in bytes (a power of two)")
	flag.Parse()
	if *size < 8 {
		log.Fatal("-size must be at least 8")
	}

	// The listener creates the rings (sealed memfds) for each consumer,
	// checks its credentials and hands them over.
	l, err := listener.Listen(*socket, listener.WithConnOptions(conn.WithRingSize(*capacity)))
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	fmt.Println("waiting for a consumer on", *socket)
	c, err := l.AcceptConn()
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	p, err := c.Frames() // frames instead of a byte stream
	if err != nil {
		log.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	for i := range *frames {
		buf, err := p.Acquire(ctx, *size) // a writable view inside the ring
		if err != nil {
			log.Fatal(err) // EPIPE if the consumer went away
		}
		binary.LittleEndian.PutUint64(buf, uint64(i)) // fill it in place
		if err := p.Commit(len(buf), shmring.MakeTypeID(1, 1)); err != nil {
			log.Fatal(err)
		}
	}
	c.Close() // the consumer reads every frame, then io.EOF
	elapsed := time.Since(start)
	fmt.Printf("sent %d frames of %d bytes in %v (%.1f M frames/s)\n",
		*frames, *size, elapsed.Round(time.Millisecond), float64(*frames)/elapsed.Seconds()/1e6)
}
