package httpshm_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/httpshm"
	"github.com/tachyon-ipc/tachyon-go/listener"
)

// HTTP/1.1 and HTTP/2 cleartext from one http.Server on a shared-memory
// listener.
func Example() {
	dir, err := os.MkdirTemp("", "httpshm-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "web.sock")

	lis, err := listener.Listen(path)
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "hello over %s", r.Proto)
		}),
		Protocols: new(http.Protocols),
	}
	srv.Protocols.SetHTTP1(true)
	srv.Protocols.SetUnencryptedHTTP2(true)
	go srv.Serve(lis)
	defer srv.Close()

	h1 := httpshm.NewTransport(path)
	h2c := httpshm.NewTransport(path)
	h2c.Protocols = new(http.Protocols)
	h2c.Protocols.SetUnencryptedHTTP2(true)
	for _, tr := range []*http.Transport{h1, h2c} {
		resp, err := (&http.Client{Transport: tr}).Get("http://web/")
		if err != nil {
			log.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		tr.CloseIdleConnections()
		fmt.Println(string(body))
	}
	// Output:
	// hello over HTTP/1.1
	// hello over HTTP/2.0
}

// Shutdown ends Serve with http.ErrServerClosed and a dial afterwards fails
// within its context.
func TestServeShutdown(t *testing.T) {
	dir, err := os.MkdirTemp("", "httpshm") // t.TempDir() can exceed sun_path
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "s")
	lis, err := listener.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.NotFoundHandler()}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()
	client := &http.Client{Transport: httpshm.NewTransport(path)}
	resp, err := client.Get("http://any/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("status %s", resp.Status)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	select {
	case err := <-served:
		if !errors.Is(err, http.ErrServerClosed) {
			t.Fatalf("Serve: %v, want http.ErrServerClosed", err)
		}
	case <-ctx.Done():
		t.Fatal("Serve did not return after Shutdown")
	}
	client.CloseIdleConnections()
	if _, err := httpshm.DialContext(path)(ctx, "tcp", "any:80"); err == nil {
		t.Fatal("dial after Shutdown succeeded")
	}
}
