package conn_test

import (
	"bufio"
	"context"
	"fmt"
	"log"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tachyon-ipc/tachyon-go/conn"
)

// DialFallback against a plain Unix-socket server (net.Listen, not package
// listener): Dial would fail with ErrPlainListener; DialFallback returns a
// plain connection and says so.
func ExampleDialFallback() {
	dir, err := os.MkdirTemp("", "tachyon-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "plain.sock")

	ln, err := net.Listen("unix", path) // a plain line-upper-casing server
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
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
	c, err := conn.DialFallback(ctx, path)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintln(c, "hello")
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(line)
	fmt.Println(c.RemoteAddr().Network(), conn.IsSharedMemory(c))
	// Output:
	// HELLO
	// unix false
}
