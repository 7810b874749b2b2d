package conn_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/listener"
)

// Pipe gives both ends of a shared-memory connection in one process, for
// tests: the bytes go through real rings.
func ExamplePipe() {
	client, server, err := conn.Pipe(conn.WithRingSize(64 << 10))
	if err != nil {
		log.Fatal(err)
	}
	defer server.Close()
	go func() {
		fmt.Fprint(client, "hello over shared memory")
		client.Close() // the server reads everything, then io.EOF
	}()
	b, err := io.ReadAll(server)
	fmt.Println(string(b), err)
	// Output: hello over shared memory <nil>
}

// Dial connects to a listener's socket path; the connection is a net.Conn
// whose bytes travel through shared memory.
func ExampleDial() {
	dir, err := os.MkdirTemp("", "tachyon-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "echo.sock")

	l, err := listener.Listen(path)
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	go func() { // an echo server
		c, err := l.Accept()
		if err != nil {
			return
		}
		io.Copy(c, c)
		c.Close()
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := conn.Dial(ctx, path)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	fmt.Fprint(c, "ping")
	c.CloseWrite() // the server's io.Copy ends, it closes, we read io.EOF
	b, err := io.ReadAll(c)
	peer := c.RemoteAddr().(*conn.Addr)
	fmt.Println(string(b), err, peer.Network(), peer.PID == os.Getpid())
	// Output: ping <nil> shm true
}
