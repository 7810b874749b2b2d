package httpshm_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/httpshm"
	"github.com/tachyon-ipc/tachyon-go/listener"
)

// TestCurlAndShmClientsAtOnce: curl --unix-socket, another program, gets
// 200 from http.Serve on a listener.Listen path while an httpshm client
// gets 200 over shared memory from the same server.
func TestCurlAndShmClientsAtOnce(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl is not installed (.ci/run installs it)")
	}
	path := t.TempDir() + "/web.sock"
	lis, err := listener.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := r.Context().Value(http.LocalAddrContextKey)
		io.WriteString(w, "hello over "+c.(interface{ Network() string }).Network())
	})}
	go srv.Serve(lis)
	defer srv.Close()

	const calls = 20
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range calls {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			out, err := exec.CommandContext(ctx, curl, "-sS", "-m", "20", "--unix-socket", path,
				"-w", " %{http_code}", "http://web/").Output()
			cancel()
			if got := string(out); err != nil || got != "hello over unix 200" {
				t.Errorf("curl %d: %q, %v; want \"hello over unix 200\"", i, got, err)
				return
			}
		}
	})
	wg.Go(func() {
		client := &http.Client{Transport: httpshm.NewTransport(path), Timeout: 30 * time.Second}
		defer client.CloseIdleConnections()
		for i := range calls {
			resp, err := client.Get("http://web/")
			if err != nil {
				t.Errorf("httpshm %d: %v", i, err)
				return
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if want := "hello over " + conn.Network; err != nil || resp.StatusCode != 200 || string(body) != want {
				t.Errorf("httpshm %d: %d %q, %v; want 200 %q", i, resp.StatusCode, body, err, want)
				return
			}
		}
	})
	wg.Wait()
}

// TestTransportPlainServer: NewTransport against a plain HTTP server on a
// Unix socket (net.Listen, not package listener) falls back to the socket.
func TestTransportPlainServer(t *testing.T) {
	path := t.TempDir() + "/plain.sock"
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "plain")
	})}
	go srv.Serve(ln)
	defer srv.Close()
	client := &http.Client{Transport: httpshm.NewTransport(path), Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	for i := range 3 {
		resp, err := client.Get("http://web/")
		if err != nil {
			t.Fatalf("GET %d: %v", i, err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || string(body) != "plain" {
			t.Fatalf("GET %d: %d %q, %v", i, resp.StatusCode, body, err)
		}
	}
}
