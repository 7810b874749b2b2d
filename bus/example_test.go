package bus_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/tachyon-ipc/tachyon-go/bus"
	"github.com/tachyon-ipc/tachyon-go/shmring"
)

// A plain bus the way Tachyon's Python quickstart sets it up: the listener
// consumes, the connecting side produces. Here both ends are in one process;
// usually the producer is a Tachyon program, e.g.
// tachyon.Bus.connect(path).send(b"hello tachyon", type_id=1) in Python.
func ExampleListen() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "demo.sock")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	go func() { // the producer
		b, err := bus.Dial(ctx, path) // waits for the listener
		if err != nil {
			log.Fatal(err)
		}
		defer b.Close()
		p, _ := b.Producer()
		p.Send(ctx, shmring.MakeTypeID(0, 1), []byte("hello tachyon"))
	}()

	b, err := bus.ListenContext(ctx, path, 1<<16)
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
	c, _ := b.Consumer()
	f, err := c.AcquireContext(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d bytes, msg_type %d: %s\n", len(f.Payload), f.Type.MsgType(), f.Payload)
	c.Commit()
	// Output: 13 bytes, msg_type 1: hello tachyon
}

// An RPC bus the way Tachyon's examples set it up: the callee listens, the
// caller connects. Either end may be a Tachyon program.
func ExampleListenRPC() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "rpc.sock")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	go func() { // the callee
		b, err := bus.ListenRPCContext(ctx, path, 1<<16, 1<<16)
		if err != nil {
			log.Fatal(err)
		}
		defer b.Close()
		callee, _ := b.Callee()
		callee.ServeFunc(ctx, func(req bus.Request) (uint16, []byte) {
			return 2, append([]byte("pong: "), req.Payload...)
		})
	}()

	b, err := bus.DialRPC(ctx, path)
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
	caller, _ := b.Caller()
	msgType, reply, err := caller.Invoke(ctx, 1, []byte("ping"), nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("msg_type %d: %s\n", msgType, reply)
	// Output: msg_type 2: pong: ping
}

// The largest frame a Go producer may send to a Tachyon consumer, and the
// ring a larger one would need.
func ExampleTachyonMaxPayload() {
	fmt.Println(bus.TachyonMaxPayload(1 << 16))
	fmt.Println(bus.CapacityFor(5000))
	// Output:
	// 1920
	// 262144
}
