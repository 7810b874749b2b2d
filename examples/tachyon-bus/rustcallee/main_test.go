package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/bus/tachyontest"
	"github.com/tachyon-ipc/tachyon-go/internal/peerproc"
)

func TestMain(m *testing.M) {
	peerproc.Register("rust-caller", rustCaller)
	peerproc.Run()
	os.Exit(m.Run())
}

// rustCaller does what the README's Rust caller does, with package
// tachyontest standing in for tachyon_ipc::RpcBus: connect, call, wait for
// each reply, commit it; then one call of a type the callee does not know.
func rustCaller(args []string) error {
	dl := time.Now().Add(time.Minute)
	b, err := tachyontest.ConnectRPC(args[0], dl)
	if err != nil {
		return err
	}
	defer b.Close()
	for _, c := range []struct {
		msgType   uint32
		req, want string
		wantType  uint32
	}{
		{1, "ping", "PING", 2},
		{1, "hello from rust", "HELLO FROM RUST", 2},
		{7, "?", "\x00\x07", 0xFFFF},
	} {
		id, err := b.Call([]byte(c.req), c.msgType, dl)
		if err != nil {
			return err
		}
		f, err := b.Wait(id, 10000, dl)
		if err != nil {
			return err
		}
		if string(f.Payload) != c.want || f.TypeID != c.wantType {
			return fmt.Errorf("call %d: reply type %#x %q, want %#x %q", id, f.TypeID, f.Payload, c.wantType, c.want)
		}
		b.CommitReply()
	}
	return nil
}

func TestInteropRustCaller(t *testing.T) {
	dir, err := os.MkdirTemp("", "rs")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "rpc.sock")
	peer, ctl, err := peerproc.Start("rust-caller", []string{path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ctl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	if err := run(ctx, path, 1<<16, 3, &out); err != nil {
		t.Fatalf("%v\n%s", err, &out)
	}
	if err := peer.Wait(time.Minute); err != nil {
		t.Fatalf("caller: %v", err)
	}
	for _, want := range []string{
		`call 1 msg_type 1 "ping" -> msg_type 2 "PING"`,
		`call 3 msg_type 7 "?" -> msg_type 65535 "\x00\a"`,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, &out)
		}
	}
}
