// Command client fetches /hello from ../server over shared memory, in
// HTTP/1.1 or (with -h2c) HTTP/2 cleartext. The URL's host is ignored: the
// transport dials the socket path.
//
//	go run ./examples/http/client -socket /tmp/tachyon-http.sock -h2c
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"time"

	"github.com/tachyon-ipc/tachyon-go/httpshm"
)

func main() {
	socket := flag.String("socket", "/tmp/tachyon-http.sock", "Unix socket path of the server")
	h2c := flag.Bool("h2c", false, "speak HTTP/2 cleartext (prior knowledge) instead of HTTP/1.1")
	flag.Parse()

	tr := httpshm.NewTransport(*socket)
	if *h2c {
		tr.Protocols = new(http.Protocols)
		tr.Protocols.SetUnencryptedHTTP2(true)
	}
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	resp, err := client.Get("http://tachyon/hello")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s %s", resp.Proto, body)
}
