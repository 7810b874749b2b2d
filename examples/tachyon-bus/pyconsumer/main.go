// Command pyconsumer is a Go consumer for a Python tachyon.Bus producer. It
// listens on a Tachyon plain bus, as the consumer of Tachyon's Python
// quickstart does, and prints every message it receives. See ../README.md
// for the Python side.
//
//	go run ./examples/tachyon-bus/pyconsumer -socket /tmp/demo.sock
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"syscall"

	"github.com/tachyon-ipc/tachyon-go/bus"
)

func main() {
	socket := flag.String("socket", "/tmp/demo.sock", "Unix socket the Python producer connects to")
	capacity := flag.Int("capacity", 1<<16, "ring capacity in bytes, a power of two (Python's quickstart uses 1 << 16)")
	count := flag.Int("count", 0, "exit after this many messages (0: until interrupted)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *socket, *capacity, *count, os.Stdout); err != nil && !errors.Is(err, context.Canceled) {
		log.Fatal(err)
	}
}

// run listens for one producer on socket and prints count messages (all of
// them if count is 0) until ctx is done.
func run(ctx context.Context, socket string, capacity, count int, out io.Writer) error {
	fmt.Fprintf(out, "listening on %s (ring of %d bytes): start the Python producer now\n", socket, capacity)
	b, err := bus.ListenContext(ctx, socket, capacity)
	if err != nil {
		return err
	}
	defer b.Close()
	peer := b.Peer()
	fmt.Fprintf(out, "producer connected: pid %d, uid %d\n", peer.PID, peer.UID)
	c, err := b.Consumer()
	if err != nil {
		return err
	}
	// Tachyon has no end-of-stream signal: a producer that exits just
	// stops sending, so we wait for the next message until interrupted.
	for n := 0; count == 0 || n < count; n++ {
		f, err := c.AcquireContext(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "received %d bytes type_id=%d (route %d, msg_type %d): %q\n",
			len(f.Payload), f.Type, f.Type.Route(), f.Type.MsgType(), f.Payload)
		c.Commit()
	}
	return nil
}
