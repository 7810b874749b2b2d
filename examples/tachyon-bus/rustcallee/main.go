// Command rustcallee is a Go RPC callee for a Rust tachyon_ipc::RpcBus
// caller. It listens on a Tachyon RPC bus, as the callee of Tachyon's Rust
// example does, and answers each call of msg_type 1 with the request in
// upper case, msg_type 2. Other message types get the error reply of
// Tachyon's Python RpcDispatcher: msg_type 0xFFFF and the unhandled type as
// two big-endian bytes. See ../README.md for the Rust side.
//
//	go run ./examples/tachyon-bus/rustcallee -socket /tmp/rpc.sock
package main

import (
	"bytes"
	"context"
	"encoding/binary"
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

// Message types of this service.
const (
	msgUpper      = 1      // request: text to upper-case
	msgUpperReply = 2      // reply to msgUpper
	msgError      = 0xFFFF // Tachyon's MSG_TYPE_ERROR: payload is the unhandled type
)

func main() {
	socket := flag.String("socket", "/tmp/rpc.sock", "Unix socket the Rust caller connects to")
	capacity := flag.Int("capacity", 1<<16, "capacity of each ring in bytes, a power of two")
	calls := flag.Int("calls", 0, "exit after this many calls (0: until interrupted)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *socket, *capacity, *calls, os.Stdout); err != nil && !errors.Is(err, context.Canceled) {
		log.Fatal(err)
	}
}

// handle computes the reply to one request.
func handle(req bus.Request) (uint16, []byte) {
	if req.MsgType != msgUpper {
		return msgError, binary.BigEndian.AppendUint16(nil, req.MsgType)
	}
	return msgUpperReply, bytes.ToUpper(req.Payload)
}

// run listens for one caller on socket and serves calls (all of them if
// calls is 0) until ctx is done.
func run(ctx context.Context, socket string, capacity, calls int, out io.Writer) error {
	fmt.Fprintf(out, "listening on %s (rings of %d bytes): start the Rust caller now\n", socket, capacity)
	b, err := bus.ListenRPCContext(ctx, socket, capacity, capacity)
	if err != nil {
		return err
	}
	defer b.Close()
	peer := b.Peer()
	fmt.Fprintf(out, "caller connected: pid %d, uid %d\n", peer.PID, peer.UID)
	callee, err := b.Callee()
	if err != nil {
		return err
	}
	for n := 0; calls == 0 || n < calls; n++ {
		req, err := callee.Serve(ctx)
		if err != nil {
			return err
		}
		t, reply := handle(req)
		fmt.Fprintf(out, "call %d msg_type %d %q -> msg_type %d %q\n", req.ID, req.MsgType, req.Payload, t, reply)
		if err := callee.Reply(ctx, req.ID, t, reply); err != nil {
			return err
		}
	}
	return nil
}
