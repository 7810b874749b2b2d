package conn_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/listener"
	"github.com/tachyon-ipc/tachyon-go/shmring"
)

// Frames switches a connection from bytes to zero-copy frames: the sender
// fills views inside the ring, the receiver reads views of it. Both ends
// come from Dial and Accept as usual; the connection keeps its liveness,
// deadlines and Close.
func ExampleConn_Frames() {
	dir, err := os.MkdirTemp("", "tachyon-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "frames.sock")
	l, err := listener.Listen(path)
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	go func() { // the producer: accepts, sends three frames, closes
		c, err := l.AcceptConn()
		if err != nil {
			return
		}
		defer c.Close() // the consumer gets every frame, then io.EOF
		p, err := c.Frames()
		if err != nil {
			return
		}
		for i, word := range []string{"zero", "copy", "frames"} {
			b, err := p.Acquire(ctx, len(word)) // a writable view inside the ring
			if err != nil {
				return
			}
			n := copy(b, word) // fill it in place
			p.Commit(n, shmring.MakeTypeID(1, uint16(i)))
		}
	}()

	c, err := conn.Dial(ctx, path) // the consumer
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	frames, err := c.Frames()
	if err != nil {
		log.Fatal(err)
	}
	for {
		f, err := frames.Next(ctx) // a read-only view, valid until Release
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(f.Type.Route(), f.Type.MsgType(), string(f.Payload))
		frames.Release()
	}
	// Output:
	// 1 0 zero
	// 1 1 copy
	// 1 2 frames
}
