// Command client calls ../server's Arith service over shared memory with
// rpc.NewClient on a conn.Dial connection.
//
//	go run ./examples/netrpc/client -socket /tmp/tachyon-rpc.sock -a 7 -b 6
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net/rpc"
	"time"

	"github.com/tachyon-ipc/tachyon-go/conn"
)

// Args mirrors the server's argument type (gob matches fields by name).
type Args struct{ A, B int }

func main() {
	socket := flag.String("socket", "/tmp/tachyon-rpc.sock", "Unix socket path of the server")
	a := flag.Int("a", 7, "first operand")
	b := flag.Int("b", 6, "second operand")
	flag.Parse()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := conn.Dial(ctx, *socket)
	if err != nil {
		log.Fatal(err)
	}
	client := rpc.NewClient(c)
	defer client.Close()

	var product, quotient int
	if err := client.Call("Arith.Multiply", Args{*a, *b}, &product); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d * %d = %d\n", *a, *b, product)
	if err := client.Call("Arith.Divide", Args{*a, *b}, &quotient); err != nil {
		fmt.Printf("%d / %d: %v\n", *a, *b, err)
		return
	}
	fmt.Printf("%d / %d = %d\n", *a, *b, quotient)
}
