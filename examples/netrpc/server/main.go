// Command server serves a net/rpc service over shared memory with
// rpc.Server.Accept.
//
//	go run ./examples/netrpc/server -socket /tmp/tachyon-rpc.sock
package main

import (
	"errors"
	"flag"
	"fmt"
	"log"
	"net/rpc"
	"os"
	"os/signal"
	"syscall"

	"github.com/tachyon-ipc/tachyon-go/listener"
)

// Arith is the service.
type Arith struct{}

// Args are the operands.
type Args struct{ A, B int }

// Multiply sets reply to A*B.
func (Arith) Multiply(args Args, reply *int) error {
	*reply = args.A * args.B
	return nil
}

// Divide sets reply to A/B.
func (Arith) Divide(args Args, reply *int) error {
	if args.B == 0 {
		return errors.New("divide by zero")
	}
	*reply = args.A / args.B
	return nil
}

func main() {
	socket := flag.String("socket", "/tmp/tachyon-rpc.sock", "Unix socket path of the shared-memory listener")
	flag.Parse()

	srv := rpc.NewServer()
	if err := srv.Register(Arith{}); err != nil {
		log.Fatal(err)
	}
	lis, err := listener.Listen(*socket)
	if err != nil {
		log.Fatal(err)
	}
	go srv.Accept(lis) // returns when lis closes
	fmt.Println("serving on", lis.Addr())

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	<-stop
	lis.Close()
	fmt.Println("stopped")
}
