package tachyontest_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/tachyon-ipc/tachyon-go/bus"
	"github.com/tachyon-ipc/tachyon-go/bus/tachyontest"
	"github.com/tachyon-ipc/tachyon-go/shmring"
)

// Test a Go producer against a consumer that behaves like Tachyon's C++
// core, without installing Tachyon. In real tests run the Tachyon side in
// another process (see package internal/peerproc).
func ExampleConnectBus() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "bus.sock")
	deadline := time.Now().Add(10 * time.Second)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()

	go func() { // the Go side listens and produces
		b, err := bus.ListenContext(ctx, path, 1<<16)
		if err != nil {
			log.Fatal(err)
		}
		defer b.Close()
		p, _ := b.Producer()
		p.Send(ctx, shmring.MakeTypeID(0, 7), []byte("from Go"))
	}()

	r, err := tachyontest.ConnectBus(path, deadline) // the Tachyon side connects
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	c := tachyontest.NewConsumer(r)
	f, err := c.AcquireBlocking(false, 1000, deadline)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("type_id %d: %s\n", f.TypeID, f.Payload)
	c.Commit()
	// Output: type_id 7: from Go
}
