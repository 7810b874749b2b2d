//go:build unix

// Command producer creates a Tachyon ring in a sealed memfd, hands the memfd
// to one consumer process over a Unix socket, and writes frames straight
// into the shared memory: each frame is filled in place inside the ring, and
// no system call is made per frame while the consumer keeps up.
//
//	go run ./examples/zerocopy/producer -socket /tmp/tachyon-frames.sock
package main

import (
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/tachyon-ipc/tachyon-go/shmring"
)

func main() {
	socket := flag.String("socket", "/tmp/tachyon-frames.sock", "Unix socket path the consumer connects to")
	frames := flag.Int("frames", 1_000_000, "frames to send")
	size := flag.Int("size", 64, "payload bytes per frame (at least 8)")
	capacity := flag.Int("capacity", 1<<20, "ring capacity in bytes (a power of two)")
	flag.Parse()
	if *size < 8 {
		log.Fatal("-size must be at least 8")
	}

	ring, err := shmring.Create("tachyon-go:example-frames", *capacity)
	if err != nil {
		log.Fatal(err)
	}
	defer ring.Close()

	os.Remove(*socket)
	ul, err := net.ListenUnix("unix", &net.UnixAddr{Name: *socket, Net: "unix"})
	if err != nil {
		log.Fatal(err)
	}
	defer ul.Close()
	fmt.Println("waiting for a consumer on", *socket)
	c, err := ul.AcceptUnix()
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	// The capacity and the memfd travel in one message (SCM_RIGHTS).
	var hello [8]byte
	binary.LittleEndian.PutUint64(hello[:], uint64(ring.Capacity()))
	if _, _, err := c.WriteMsgUnix(hello[:], syscall.UnixRights(ring.Fd()), nil); err != nil {
		log.Fatal(err)
	}

	p, err := ring.Producer()
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	for i := range *frames {
		buf, err := p.AcquireContext(ctx, *size) // a writable view inside the ring
		if err != nil {
			log.Fatal(err)
		}
		binary.LittleEndian.PutUint64(buf, uint64(i)) // fill it in place
		if err := p.Commit(len(buf), shmring.MakeTypeID(1, 1)); err != nil {
			log.Fatal(err)
		}
	}
	p.Close() // publishes the rest; the consumer reads io.EOF after the last frame
	elapsed := time.Since(start)
	fmt.Printf("sent %d frames of %d bytes in %v (%.1f M frames/s)\n",
		*frames, *size, elapsed.Round(time.Millisecond), float64(*frames)/elapsed.Seconds()/1e6)
}
