package listener_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/listener"
)

// A line-echo server on a Unix socket path, and a client: Accept returns a
// net.Conn that carries its bytes through shared memory.
func ExampleListen() {
	dir, err := os.MkdirTemp("", "tachyon-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "upper.sock")

	l, err := listener.Listen(path, listener.WithConnOptions(conn.WithRingSize(64<<10)))
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return // the listener closed
			}
			go func() {
				defer c.Close()
				sc := bufio.NewScanner(c)
				for sc.Scan() {
					fmt.Fprintln(c, strings.ToUpper(sc.Text()))
				}
			}()
		}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := conn.Dial(ctx, path)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintln(c, "hello")
	fmt.Fprintln(c, "shared memory")
	c.CloseWrite()
	b, err := io.ReadAll(c)
	fmt.Print(string(b))
	fmt.Println(err, l.Addr().Network())
	// Output:
	// HELLO
	// SHARED MEMORY
	// <nil> shm
}
