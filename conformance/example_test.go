package conformance_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/tachyon-ipc/tachyon-go/conformance"
	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/listener"
)

// A Transport is a listener and a dialer; conformance.Run(t, tr) runs the
// whole suite over it from a test. Here the Transport is exercised by hand
// once: a connection is made and carries one message.
func ExampleTransport() {
	dir, err := os.MkdirTemp("", "conformance-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	tr := conformance.Transport{
		Listen: func() (net.Listener, error) { return listener.Listen(filepath.Join(dir, "s.sock")) },
		Dial: func(ctx context.Context, addr net.Addr) (net.Conn, error) {
			return conn.Dial(ctx, addr.String())
		},
	}
	// In a test: conformance.Run(t, tr)
	ln, err := tr.Listen()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ln.Close()
	c, err := tr.Dial(context.Background(), ln.Addr())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	s, err := ln.Accept()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	c.Write([]byte("hello"))
	b := make([]byte, 5)
	n, _ := s.Read(b)
	fmt.Println(string(b[:n]), s.RemoteAddr().Network())
	// Output: hello shm
}
