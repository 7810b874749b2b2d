package conformance

import (
	"bytes"
	"context"
	"errors"
	"net/rpc"
	"testing"
)

// arith is the net/rpc service of RunRPC. net/rpc wants exported or
// unnamed argument types, hence the arrays.
type arith struct{}

var errDivideByZero = errors.New("divide by zero")

func (arith) Multiply(args [2]int, reply *int) error {
	*reply = args[0] * args[1]
	return nil
}

func (arith) Divide(args [2]int, reply *int) error {
	if args[1] == 0 {
		return errDivideByZero
	}
	*reply = args[0] / args[1]
	return nil
}

func (arith) Echo(b []byte, reply *[]byte) error {
	*reply = b
	return nil
}

// RunRPC serves a net/rpc service with rpc.Server.Accept on a listener from
// tr and calls it through rpc.NewClient on a connection from tr: plain
// calls, a server error, concurrent calls, a large argument, Close, and
// Accept returning once the listener closes.
func RunRPC(t *testing.T, tr Transport) {
	lis, err := tr.Listen()
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	srv := rpc.NewServer()
	if err := srv.RegisterName("Arith", arith{}); err != nil {
		t.Fatal(err)
	}
	accepted := make(chan struct{})
	go func() {
		srv.Accept(lis) // logs the listener's close error and returns
		close(accepted)
	}()
	defer func() {
		lis.Close()
		if signal(context.Background(), accepted) != nil {
			t.Error("rpc.Server.Accept did not return after the listener closed")
		}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	c, err := tr.Dial(ctx, lis.Addr())
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	client := rpc.NewClient(c)
	defer client.Close()

	var product int
	if err := call(client, "Arith.Multiply", [2]int{7, 8}, &product); err != nil || product != 56 {
		t.Fatalf("Multiply(7, 8) = %d, %v", product, err)
	}
	var quotient int
	err = call(client, "Arith.Divide", [2]int{1, 0}, &quotient)
	if _, ok := err.(rpc.ServerError); !ok || err.Error() != errDivideByZero.Error() {
		t.Fatalf("Divide(1, 0): %v, want the server's %q", err, errDivideByZero)
	}

	const parallel = 100
	calls := make([]*rpc.Call, parallel)
	replies := make([]int, parallel)
	for i := range calls {
		calls[i] = client.Go("Arith.Multiply", [2]int{i, i}, &replies[i], make(chan *rpc.Call, 1))
	}
	for i, cl := range calls {
		select {
		case <-cl.Done:
		case <-ctx.Done():
			t.Fatalf("call %d did not complete", i)
		}
		if cl.Error != nil || replies[i] != i*i {
			t.Fatalf("concurrent Multiply(%d, %d) = %d, %v", i, i, replies[i], cl.Error)
		}
	}

	big := bytes.Repeat([]byte("tachyon "), 1<<17) // 1 MiB
	var echo []byte
	if err := call(client, "Arith.Echo", big, &echo); err != nil || !bytes.Equal(echo, big) {
		t.Fatalf("Echo of %d bytes: %d bytes back, %v", len(big), len(echo), err)
	}

	if err := client.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := client.Call("Arith.Multiply", [2]int{1, 1}, &product); err != rpc.ErrShutdown {
		t.Fatalf("Call after Close: %v, want rpc.ErrShutdown", err)
	}
}

// call is client.Call bounded by waitLimit.
func call(client *rpc.Client, method string, args, reply any) error {
	cl := client.Go(method, args, reply, make(chan *rpc.Call, 1))
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	select {
	case <-cl.Done:
		return cl.Error
	case <-ctx.Done():
		return errors.New("call " + method + " did not complete")
	}
}
