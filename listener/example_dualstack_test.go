package listener_test

import (
	"bufio"
	"context"
	"fmt"
	"log"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/listener"
)

// One path, two kinds of client: a tachyon-go dialer gets shared memory, any
// other Unix-socket client (here net.Dial, as curl or grpcurl would) a plain
// Unix-socket connection. conn.IsSharedMemory and RemoteAddr().Network()
// tell them apart.
func ExampleWithPlainClients() {
	dir, err := os.MkdirTemp("", "tachyon-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "svc.sock")

	l, err := listener.Listen(path) // dual-stack: WithPlainClients(true) is the default
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				sc := bufio.NewScanner(c)
				for sc.Scan() {
					fmt.Fprintf(c, "%s over %s (shared memory: %v)\n", sc.Text(), c.RemoteAddr().Network(), conn.IsSharedMemory(c))
				}
			}()
		}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	shm, err := conn.Dial(ctx, path)
	if err != nil {
		log.Fatal(err)
	}
	defer shm.Close()
	var d net.Dialer
	plain, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		log.Fatal(err)
	}
	defer plain.Close()
	for _, c := range []net.Conn{shm, plain} {
		c.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintln(c, "hello")
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil {
			log.Fatal(err)
		}
		fmt.Print(line)
	}
	// Output:
	// hello over shm (shared memory: true)
	// hello over unix (shared memory: false)
}
