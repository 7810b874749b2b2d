package grpcshm_test

import (
	"context"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/grpcshm"
)

// TestListenRingSizes checks what Listen grants: DefaultRingSize to a
// dialer that asks for nothing (the HTTP/2 path), DirectRingSize to one
// that asks for it (a Channel), and no more than that.
func TestListenRingSizes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rings.sock")
	lis, err := grpcshm.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan []net.Conn, 1)
	go func() { // accept and hold every connection until the listener closes
		var held []net.Conn
		for {
			c, err := lis.Accept()
			if err != nil {
				accepted <- held
				return
			}
			held = append(held, c)
		}
	}()
	defer func() {
		lis.Close()
		select {
		case held := <-accepted:
			for _, c := range held {
				c.Close()
			}
		case <-time.After(10 * time.Second):
			t.Error("Accept did not return after the listener closed")
		}
	}()
	for _, tc := range []struct {
		name string
		ask  []conn.Option
		want int
	}{
		{"default", nil, grpcshm.DefaultRingSize},
		{"direct", []conn.Option{conn.WithRingSize(grpcshm.DirectRingSize)}, grpcshm.DirectRingSize},
		{"more", []conn.Option{conn.WithRingSize(2 * grpcshm.DirectRingSize)}, grpcshm.DirectRingSize},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, err := conn.Dial(ctx, path, tc.ask...)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if send, recv := c.RingSizes(); send != tc.want || recv != tc.want {
				t.Fatalf("granted rings of %d and %d bytes, want %d each", send, recv, tc.want)
			}
		})
	}
}
