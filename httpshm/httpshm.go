// Package httpshm carries HTTP over shared memory. The server side needs
// nothing from this package: http.Serve (or http.Server.Serve) on a
// listener.Listener serves HTTP/1.1 and, with http.Server.Protocols
// including UnencryptedHTTP2, HTTP/2 cleartext. The client side needs a
// dialer that ignores the URL's host and connects to the socket path:
// DialContext, or a whole Transport from NewTransport.
//
//	client := &http.Client{Transport: httpshm.NewTransport("/run/web.sock")}
//	resp, err := client.Get("http://web/status") // any host: the path decides
package httpshm

import (
	"context"
	"net"
	"net/http"
	"time"

	"github.com/tachyon-ipc/tachyon-go/conn"
)

// DialContext returns a function for http.Transport.DialContext that
// connects every request, whatever its host, to the listener at path: over
// shared memory when it is a tachyon-go listener on a machine that allows
// it, else over a plain Unix-socket connection (conn.DialFallback: a plain
// HTTP server on the path, any system but Linux). ctx bounds the connection
// setup.
func DialContext(path string, opts ...conn.Option) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, _, _ string) (net.Conn, error) {
		return conn.DialFallback(ctx, path, opts...)
	}
}

// NewTransport returns an HTTP/1.1 transport whose connections go to the
// listener at path, as DialContext's do. It uses no proxy (a proxy would receive
// requests meant for path). For HTTP/2 cleartext with prior knowledge, set
// its Protocols to UnencryptedHTTP2 alone:
//
//	tr := httpshm.NewTransport(path)
//	tr.Protocols = new(http.Protocols)
//	tr.Protocols.SetUnencryptedHTTP2(true)
func NewTransport(path string, opts ...conn.Option) *http.Transport {
	return &http.Transport{
		DialContext:         DialContext(path, opts...),
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     90 * time.Second,
	}
}
