// Command server serves HTTP/1.1 and HTTP/2 cleartext over shared memory
// with the standard library's http.Server.
//
//	go run ./examples/http/server -socket /tmp/tachyon-http.sock
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/listener"
)

// peerKey is the context key of the connection's peer address.
type peerKey struct{}

func main() {
	socket := flag.String("socket", "/tmp/tachyon-http.sock", "Unix socket path of the shared-memory listener")
	flag.Parse()

	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {
		pid := 0
		if peer, ok := r.Context().Value(peerKey{}).(*conn.Addr); ok {
			pid = peer.PID
		}
		fmt.Fprintf(w, "hello over %s from pid %d\n", r.Proto, pid)
	})
	srv := &http.Server{
		Handler:   mux,
		Protocols: new(http.Protocols),
		// Each connection's RemoteAddr carries the peer's credentials.
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, peerKey{}, c.RemoteAddr())
		},
		ReadHeaderTimeout: 10 * time.Second,
	}
	srv.Protocols.SetHTTP1(true)
	srv.Protocols.SetUnencryptedHTTP2(true) // h2c with prior knowledge

	lis, err := listener.Listen(*socket)
	if err != nil {
		log.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()
	fmt.Println("serving on", lis.Addr())

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	<-stop
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		log.Fatal(err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
	fmt.Println("stopped")
}
