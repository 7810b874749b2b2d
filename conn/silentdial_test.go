package conn_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/conn"
)

// A dial to a Unix socket whose server never answers (an HTTP-over-UDS
// server, docker.sock) ends on its own (issue 14, attack 7: it once hung
// for ever when the context had no deadline).

// silentDialSlack is how late after conn.DefaultDialTimeout the dial may
// fail: the 100 ms deadline slack.
const silentDialSlack = 100 * time.Millisecond

// TestDialSilentSocketDefaultTimeout dials, with context.Background(), a
// plain Unix socket server that accepts and says nothing: Dial fails after
// conn.DefaultDialTimeout, within silentDialSlack, with a timeout net.Error
// that names the cause.
func TestDialSilentSocketDefaultTimeout(t *testing.T) {
	path := sockPath(t)
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	held := make(chan net.Conn, 16)
	go func() { // accepts, reads nothing, says nothing
		for {
			c, err := ln.Accept()
			if err != nil {
				close(held)
				return
			}
			held <- c
		}
	}()
	defer func() {
		ln.Close()
		for c := range held {
			c.Close()
		}
	}()

	start := time.Now()
	c, err := conn.Dial(context.Background(), path)
	took := time.Since(start)
	if err == nil {
		c.Close()
		t.Fatal("Dial to a silent socket succeeded")
	}
	t.Logf("Dial to a silent socket failed after %v (DefaultDialTimeout %v): %v", took, conn.DefaultDialTimeout, err)
	if took < conn.DefaultDialTimeout || took > conn.DefaultDialTimeout+silentDialSlack {
		t.Errorf("Dial failed after %v, want %v to %v", took, conn.DefaultDialTimeout, conn.DefaultDialTimeout+silentDialSlack)
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("error %v (%T) is not a net.Error with Timeout() true", err, err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v does not match context.DeadlineExceeded", err)
	}
	if msg := err.Error(); !strings.Contains(msg, path) || !strings.Contains(msg, "tachyon-go listener") {
		t.Errorf("error %q names neither the path nor the cause (a server that is not a tachyon-go listener)", msg)
	}
}
