package httpshm

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/listener"
)

// TestURL is the URL of every server NewTestServer starts. Its host is
// never looked up: the server's client connects to the listener whatever
// the URL names.
const TestURL = "http://shm"

// NewTestServer starts an httptest.Server that serves handler over shared
// memory, HTTP/1.1 and HTTP/2 cleartext, on a fresh Linux abstract socket
// name (listener.ListenAbstract: no socket path to pick or remove). Unlike
// an httptest.Server whose Listener was replaced by hand, its URL works and
// so does its client:
//
//	srv := httpshm.NewTestServer(handler)
//	defer srv.Close()
//	resp, err := srv.Client().Get(srv.URL + "/status")
//
// srv.URL is TestURL; srv.Client() speaks HTTP/1.1 through a Transport
// from NewTransport dialing the listener; srv.Listener.Addr() is the
// abstract name, for any other client (for h2c,
// NewTransport(srv.Listener.Addr().String()) with Protocols set before its
// first request); a handler's r.RemoteAddr names the client process. opts configure the connections on both sides.
// Like httptest.NewServer, it panics if it cannot listen.
func NewTestServer(handler http.Handler, opts ...conn.Option) *httptest.Server {
	ln, err := listener.ListenAbstract(listener.WithConnOptions(opts...))
	if err != nil {
		panic(fmt.Sprintf("httpshm: NewTestServer: %v", err))
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: handler, Protocols: new(http.Protocols)}}
	srv.Config.Protocols.SetHTTP1(true)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	srv.URL = TestURL
	srv.Client().Transport = NewTransport(ln.Addr().String(), opts...)
	return srv
}
