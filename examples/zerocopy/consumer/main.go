// Command consumer connects to ../producer and reads its frames in batches:
// it waits for one frame, drains every frame already published, reads them
// all in place (zero copy) and releases the whole batch at once.
//
//	go run ./examples/zerocopy/consumer -socket /tmp/tachyon-frames.sock
package main

import (
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"log"
	"time"

	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/shmring"
)

func main() {
	socket := flag.String("socket", "/tmp/tachyon-frames.sock", "Unix socket path of the producer")
	flag.Parse()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// Dial checks the producer's credentials and the rings' seals and
	// sizes before it maps them.
	c, err := conn.Dial(ctx, *socket)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	frames, err := c.Frames()
	if err != nil {
		log.Fatal(err)
	}

	batch := make([]shmring.Frame, 256)
	var got, batches, largest int
	for {
		n, err := frames.Drain(ctx, batch) // wait for one frame, take every one ready
		if err == io.EOF {
			break // the producer closed and every frame was read
		}
		if err != nil {
			log.Fatal(err) // ECONNRESET if the producer died
		}
		for _, f := range batch[:n] {
			if seq := binary.LittleEndian.Uint64(f.Payload); seq != uint64(got) {
				log.Fatalf("frame %d carries sequence number %d", got, seq)
			}
			got++
		}
		if err := frames.Release(); err != nil { // release the whole batch
			log.Fatal(err)
		}
		batches++
		largest = max(largest, n)
	}
	fmt.Printf("received %d frames in %d batches (largest %d), in order\n", got, batches, largest)
}
