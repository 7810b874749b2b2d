package conformance

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"
)

// httpProto is one client protocol of the HTTP suite; the server accepts
// both.
type httpProto struct {
	name  string
	proto string // the Proto requests arrive with
	major int
	set   func(p *http.Protocols)
}

var httpProtos = []httpProto{
	{"HTTP1", "HTTP/1.1", 1, func(p *http.Protocols) { p.SetHTTP1(true) }},
	{"H2C", "HTTP/2.0", 2, func(p *http.Protocols) { p.SetUnencryptedHTTP2(true) }}, // prior knowledge
}

// RunHTTP serves HTTP/1.1 and HTTP/2 cleartext (http.Server.Protocols, no
// TLS) with http.Server.Serve on listeners from tr, and runs clients of
// each protocol whose http.Transport dials with tr: simple requests,
// streaming request and response bodies, large bodies, many concurrent
// requests, client timeouts, graceful Shutdown, and httptest.Server with
// its listener replaced.
func RunHTTP(t *testing.T, tr Transport) {
	cases := []struct {
		name string
		run  func(t *testing.T, tr Transport, p httpProto)
	}{
		{"Basic", httpBasic},
		{"StreamingResponse", httpStreamingResponse},
		{"StreamingRequest", httpStreamingRequest},
		{"LargeBodies", httpLargeBodies},
		{"Concurrent", httpConcurrent},
		{"ClientTimeout", httpClientTimeout},
		{"Shutdown", httpShutdown},
		{"Httptest", httpHttptest},
	}
	for _, p := range httpProtos {
		t.Run(p.name, func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) { c.run(t, tr, p) })
			}
		})
	}
}

// httpURL is the base of every request: the dialer ignores the host.
const httpURL = "http://conformance"

func serverProtocols() *http.Protocols {
	p := new(http.Protocols)
	p.SetHTTP1(true)
	p.SetUnencryptedHTTP2(true)
	return p
}

// httpEnv is a server on a listener from tr and a client of it.
type httpEnv struct {
	srv    *http.Server
	served chan error // Serve's result
	client *http.Client
}

// newHTTP starts h on a new listener and returns a client speaking p. Both
// are shut when the test ends.
func newHTTP(t *testing.T, tr Transport, p httpProto, h http.Handler) *httpEnv {
	t.Helper()
	lis := listen(t, tr)
	e := &httpEnv{
		srv:    &http.Server{Handler: h, Protocols: serverProtocols(), ReadHeaderTimeout: waitLimit},
		served: make(chan error, 1),
	}
	go func() { e.served <- e.srv.Serve(lis) }()
	e.client = httpClient(tr, lis, p)
	t.Cleanup(func() {
		e.client.CloseIdleConnections()
		e.srv.Close()
		if err, ok := recv(e.served); !ok || !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("http.Server.Serve after Close: %v (returned: %v), want http.ErrServerClosed", err, ok)
		}
	})
	return e
}

// httpClient returns a client speaking p whose connections tr dials to lis.
func httpClient(tr Transport, lis net.Listener, p httpProto) *http.Client {
	return &http.Client{Transport: &http.Transport{DialContext: httpDialer(tr, lis), Protocols: p.protocols()}}
}

// protocols returns the client protocol set of p.
func (p httpProto) protocols() *http.Protocols {
	protos := new(http.Protocols)
	p.set(protos)
	return protos
}

func httpDialer(tr Transport, lis net.Listener) func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := dialer(tr, lis)
	return func(ctx context.Context, _, _ string) (net.Conn, error) { return d(ctx, "") }
}

// get fetches path and returns the body of a 200 response.
func (e *httpEnv) get(t *testing.T, path string, p httpProto) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, httpURL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e.do(t, req, p)
}

// do sends req and returns the body of a 200 response in protocol p.
func (e *httpEnv) do(t testing.TB, req *http.Request, p httpProto) []byte {
	t.Helper()
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", req.Method, req.URL, err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %s: %s", req.Method, req.URL, resp.Status, body)
	}
	if resp.ProtoMajor != p.major {
		t.Fatalf("%s %s: response in %s, want HTTP/%d", req.Method, req.URL, resp.Proto, p.major)
	}
	return body
}

// protoHandler answers with the request's protocol.
var protoHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.Proto) })

func httpBasic(t *testing.T, tr Transport, p httpProto) {
	e := newHTTP(t, tr, p, protoHandler)
	for range 3 { // the later requests reuse the connection
		if got := string(e.get(t, "/", p)); got != p.proto {
			t.Fatalf("server saw %s, want %s", got, p.proto)
		}
	}
}

const streamChunks = 8

// The handler sends a chunk and waits until the client has read it before
// it sends the next: a transport that held flushed data back would hang.
func httpStreamingResponse(t *testing.T, tr Transport, p httpProto) {
	acks := make(chan struct{})
	e := newHTTP(t, tr, p, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		for i := range streamChunks {
			fmt.Fprintf(w, "chunk %d\n", i)
			if err := rc.Flush(); err != nil {
				return
			}
			if signal(r.Context(), acks) != nil {
				return
			}
		}
	}))
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, httpURL+"/stream", nil)
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	for i := range streamChunks {
		line, err := br.ReadString('\n')
		if err != nil || line != fmt.Sprintf("chunk %d\n", i) {
			t.Fatalf("chunk %d: %q, %v", i, line, err)
		}
		select {
		case acks <- struct{}{}:
		case <-time.After(waitLimit):
			t.Fatalf("handler did not wait for ack %d", i)
		}
	}
	if rest, err := io.ReadAll(br); err != nil || len(rest) != 0 {
		t.Fatalf("after the chunks: %q, %v", rest, err)
	}
}

// The client sends a line and waits until the handler has read it before
// it sends the next.
func httpStreamingRequest(t *testing.T, tr Transport, p httpProto) {
	got := make(chan struct{})
	e := newHTTP(t, tr, p, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		br := bufio.NewReader(r.Body)
		n := 0
		for {
			line, err := br.ReadString('\n')
			if err == io.EOF && line == "" {
				break
			}
			if err != nil || line != fmt.Sprintf("line %d\n", n) {
				http.Error(w, fmt.Sprintf("line %d: %q, %v", n, line, err), http.StatusBadRequest)
				return
			}
			n++
			select {
			case got <- struct{}{}:
			case <-r.Context().Done():
				return
			}
		}
		fmt.Fprint(w, n)
	}))
	pr, pw := io.Pipe()
	go func() {
		for i := range streamChunks {
			fmt.Fprintf(pw, "line %d\n", i)
			if err := signal(context.Background(), got); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		pw.Close()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, httpURL+"/upload", pr)
	if body := string(e.do(t, req, p)); body != strconv.Itoa(streamChunks) {
		t.Fatalf("handler read %s lines, want %d", body, streamChunks)
	}
}

// largeBody is the size of the large-body case.
const largeBody = 8 << 20

func httpLargeBodies(t *testing.T, tr Transport, p httpProto) {
	e := newHTTP(t, tr, p, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body) // HTTP/1 handlers read the body before answering
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Write(b)
	}))
	body := make([]byte, largeBody)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range body {
		body[i] = byte(rng.Uint32())
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPut, httpURL+"/echo", bytes.NewReader(body))
	if got := e.do(t, req, p); !bytes.Equal(got, body) {
		t.Fatalf("echoed %d bytes, not the %d sent", len(got), len(body))
	}
}

func httpConcurrent(t *testing.T, tr Transport, p httpProto) {
	const workers, each = 32, 4
	e := newHTTP(t, tr, p, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		fmt.Fprintf(w, "%s %s", r.Proto, r.URL.Query().Get("id"))
	}))
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				id := strconv.Itoa(w*each + i)
				ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, httpURL+"/c?id="+id, nil)
				resp, err := e.client.Do(req)
				if err == nil {
					var b []byte
					b, err = io.ReadAll(resp.Body)
					resp.Body.Close()
					if err == nil && string(b) != p.proto+" "+id {
						err = fmt.Errorf("request %s: answer %q", id, b)
					}
				}
				cancel()
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// The client gives up after a short timeout; the handler, which waits for
// its request's context, must see the cancellation. The connection is made
// first, so the timed request only has to reach the handler; should a busy
// machine still let the timeout fire before the request arrives (the
// handler never starts), the attempt proves nothing and is repeated with a
// longer timeout.
func httpClientTimeout(t *testing.T, tr Transport, p httpProto) {
	type attempt struct{ started, cancelled chan struct{} }
	var mu sync.Mutex
	attempts := map[string]attempt{}
	e := newHTTP(t, tr, p, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		a, ok := attempts[r.URL.Query().Get("attempt")]
		mu.Unlock()
		if !ok {
			return // the warm-up request
		}
		close(a.started)
		select {
		case <-r.Context().Done():
			close(a.cancelled)
		case <-time.After(waitLimit):
		}
	}))
	e.get(t, "/warm-up", p)
	timeout := 50 * time.Millisecond
	for i := range 4 {
		a := attempt{make(chan struct{}), make(chan struct{})}
		mu.Lock()
		attempts[strconv.Itoa(i)] = a
		mu.Unlock()
		e.client.Timeout = timeout
		_, err := e.client.Get(httpURL + "/slow?attempt=" + strconv.Itoa(i))
		var ue *url.Error
		if !errors.As(err, &ue) || !ue.Timeout() {
			t.Fatalf("Get with a timeout: %v, want a timeout *url.Error", err)
		}
		if signal(context.Background(), a.started) != nil {
			timeout *= 4
			continue // the request never reached the handler
		}
		if signal(context.Background(), a.cancelled) != nil {
			t.Fatal("handler's request context was not cancelled after the client gave up")
		}
		return
	}
	t.Fatal("no timed request reached the handler before its timeout")
}

// Shutdown closes the listener at once (Serve returns ErrServerClosed),
// lets the request in flight finish, then returns.
func httpShutdown(t *testing.T, tr Transport, p httpProto) {
	started, release := make(chan struct{}), make(chan struct{})
	e := newHTTP(t, tr, p, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		io.WriteString(w, "finished")
	}))
	type result struct {
		body []byte
		err  error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := e.client.Get(httpURL + "/inflight")
		if err != nil {
			got <- result{err: err}
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		got <- result{b, err}
	}()
	if signal(context.Background(), started) != nil {
		close(release)
		t.Fatal("request never reached the handler")
	}
	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		shut <- e.srv.Shutdown(ctx)
	}()
	served, ok := recv(e.served)
	e.served <- served // for the cleanup's check
	if !ok || !errors.Is(served, http.ErrServerClosed) {
		close(release)
		t.Fatalf("Serve during Shutdown: %v (returned: %v), want http.ErrServerClosed", served, ok)
	}
	close(release)
	if r, ok := recv(got); !ok || r.err != nil || string(r.body) != "finished" {
		t.Fatalf("request in flight during Shutdown: %q, %v (done: %v)", r.body, r.err, ok)
	}
	if err, ok := recv(shut); !ok || err != nil {
		t.Fatalf("Shutdown: %v (returned: %v)", err, ok)
	}
}

// httptest.Server with its Listener replaced before Start.
func httpHttptest(t *testing.T, tr Transport, p httpProto) {
	lis := listen(t, tr)
	ts := httptest.NewUnstartedServer(protoHandler)
	ts.Listener.Close()
	ts.Listener = lis
	ts.Config.Protocols = serverProtocols()
	ts.Start()
	closed := make(chan struct{})
	defer func() {
		go func() { ts.Close(); close(closed) }()
		if signal(context.Background(), closed) != nil {
			t.Error("httptest.Server.Close did not return")
		}
	}()
	if ts.URL != "http://"+lis.Addr().String() {
		t.Errorf("URL %q is not built from the listener's address %q", ts.URL, lis.Addr())
	}
	client := ts.Client()
	client.Transport.(*http.Transport).DialContext = httpDialer(tr, lis)
	client.Transport.(*http.Transport).Protocols = p.protocols()
	e := &httpEnv{client: client}
	if got := string(e.get(t, "/", p)); got != p.proto {
		t.Fatalf("server saw %s, want %s", got, p.proto)
	}
}
