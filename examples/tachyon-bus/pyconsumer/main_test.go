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
	peerproc.Register("python-producer", pythonProducer)
	peerproc.Run()
	os.Exit(m.Run())
}

var messages = []string{"hello tachyon", "", "from python"}

// pythonProducer does what the README's Python producer does, with package
// tachyontest standing in for tachyon.Bus: connect, then send each message
// with type_id 1, flushing every send as Bus.send does.
func pythonProducer(args []string) error {
	dl := time.Now().Add(time.Minute)
	r, err := tachyontest.ConnectBus(args[0], dl)
	if err != nil {
		return err
	}
	defer r.Close()
	p := tachyontest.NewProducer(r)
	p.ScribbleHeader = true
	for _, m := range messages {
		if err := p.Send([]byte(m), 1, true, dl); err != nil {
			return err
		}
	}
	return nil
}

func TestInteropPythonProducer(t *testing.T) {
	dir, err := os.MkdirTemp("", "py")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "demo.sock")
	peer, ctl, err := peerproc.Start("python-producer", []string{path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ctl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	if err := run(ctx, path, 1<<16, len(messages), &out); err != nil {
		t.Fatalf("%v\n%s", err, &out)
	}
	if err := peer.Wait(time.Minute); err != nil {
		t.Fatalf("producer: %v", err)
	}
	for _, m := range messages {
		want := fmt.Sprintf("received %d bytes type_id=1 (route 0, msg_type 1): %q\n", len(m), m)
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, &out)
		}
	}
	if !strings.Contains(out.String(), fmt.Sprintf("producer connected: pid %d,", peer.Pid())) {
		t.Errorf("output does not name the producer's pid %d:\n%s", peer.Pid(), &out)
	}
}
