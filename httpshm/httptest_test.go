package httpshm_test

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/tachyon-ipc/tachyon-go/httpshm"
)

// NewTestServer is httptest.NewServer over shared memory, with no socket
// path: its URL and its Client work as httptest's do.
func ExampleNewTestServer() {
	srv := httpshm.NewTestServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s %s over %s", r.Method, r.URL.Path, r.Proto)
	}))
	defer srv.Close()

	resp, err := srv.Client().Get(srv.URL + "/status")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	fmt.Println(srv.URL, string(b), err)
	// Output: http://shm GET /status over HTTP/1.1 <nil>
}

// TestNewTestServer: the URL and client work over HTTP/1.1 and h2c, the
// handler sees this process in r.RemoteAddr, and Close leaves no
// connection behind.
func TestNewTestServer(t *testing.T) {
	srv := httpshm.NewTestServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s|%s|%s|%s", r.Proto, r.Host, r.RemoteAddr, body)
	}))
	defer srv.Close()
	if srv.URL != httpshm.TestURL || !strings.HasPrefix(srv.Listener.Addr().String(), "@") {
		t.Fatalf("URL %q on %s, want %s on an abstract name", srv.URL, srv.Listener.Addr(), httpshm.TestURL)
	}
	get := func(client *http.Client, proto string) {
		t.Helper()
		resp, err := client.Post(srv.URL+"/echo", "text/plain", strings.NewReader("body"))
		if err != nil {
			t.Fatalf("%s: %v", proto, err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		f := strings.Split(string(b), "|")
		wantPeer := fmt.Sprintf("pid %d uid %d on %s", os.Getpid(), os.Getuid(), srv.Listener.Addr())
		if len(f) != 4 || f[0] != proto || f[1] != "shm" || f[2] != wantPeer || f[3] != "body" {
			t.Errorf("%s: handler saw %q, want %s|shm|%s|body", proto, b, proto, wantPeer)
		}
	}
	get(srv.Client(), "HTTP/1.1")
	h2c := httpshm.NewTransport(srv.Listener.Addr().String())
	defer h2c.CloseIdleConnections()
	h2c.Protocols = new(http.Protocols)
	h2c.Protocols.SetUnencryptedHTTP2(true)
	get(&http.Client{Transport: h2c}, "HTTP/2.0")
}
