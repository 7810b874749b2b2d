package listener_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"strings"
	"time"

	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/listener"
)

// A listener and a dialer without a socket path, for tests: ListenAbstract
// picks a fresh Linux abstract name, and conn.Dial takes its address. No
// file or directory is created or removed; the peer's credentials are
// checked as on a path.
func ExampleListenAbstract() {
	l, err := listener.ListenAbstract()
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.Copy(c, c) // echo until the client half-closes
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := conn.Dial(ctx, l.Addr().String())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	fmt.Fprint(c, "no socket file")
	c.CloseWrite()
	b, err := io.ReadAll(c)
	peer := c.RemoteAddr().(*conn.Addr)
	fmt.Println(string(b), err, strings.HasPrefix(l.Addr().String(), "@"), peer.PID == os.Getpid())
	// Output: no socket file <nil> true true
}
