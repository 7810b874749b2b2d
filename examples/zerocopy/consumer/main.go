//go:build unix

// Command consumer receives ../producer's ring over a Unix socket, maps it
// and reads frames in batches: it waits for one frame, drains every frame
// already published, reads them all in place (zero copy) and releases the
// whole batch with one Commit.
//
//	go run ./examples/zerocopy/consumer -socket /tmp/tachyon-frames.sock
package main

import (
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"syscall"
	"time"

	"github.com/tachyon-ipc/tachyon-go/shmring"
)

func main() {
	socket := flag.String("socket", "/tmp/tachyon-frames.sock", "Unix socket path of the producer")
	flag.Parse()

	ring, err := receiveRing(*socket)
	if err != nil {
		log.Fatal(err)
	}
	defer ring.Close()
	cons, err := ring.Consumer()
	if err != nil {
		log.Fatal(err)
	}
	defer cons.Close()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	batch := make([]shmring.Frame, 256)
	var frames, batches, largest int
	for {
		first, err := cons.AcquireContext(ctx) // wait for one frame
		if err == io.EOF {
			break // the producer closed and every frame was read
		}
		if err != nil {
			log.Fatal(err)
		}
		batch[0] = first
		n, _ := cons.Drain(batch[1:]) // and take every frame already there
		for _, f := range batch[:1+n] {
			if seq := binary.LittleEndian.Uint64(f.Payload); seq != uint64(frames) {
				log.Fatalf("frame %d carries sequence number %d", frames, seq)
			}
			frames++
		}
		if err := cons.Commit(); err != nil { // release the whole batch
			log.Fatal(err)
		}
		batches++
		largest = max(largest, 1+n)
	}
	fmt.Printf("received %d frames in %d batches (largest %d), in order\n", frames, batches, largest)
}

// receiveRing connects to the producer and maps the ring whose memfd it
// sends. shmring.Attach checks that the memfd is sealed and exactly the
// stated size before mapping it.
func receiveRing(socket string) (*shmring.Ring, error) {
	c, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: socket, Net: "unix"})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	var hello [8]byte
	oob := make([]byte, syscall.CmsgSpace(4))
	n, oobn, _, _, err := c.ReadMsgUnix(hello[:], oob)
	if err != nil {
		return nil, err
	}
	msgs, err := syscall.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 || n != len(hello) {
		return nil, errors.New("producer sent no ring")
	}
	fds, err := syscall.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		return nil, errors.New("producer sent no ring")
	}
	defer syscall.Close(fds[0]) // Attach keeps its own mapping
	return shmring.Attach(fds[0], int(binary.LittleEndian.Uint64(hello[:])))
}
