package listener_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/listener"
)

// socketPath returns a path for a socket in a fresh directory.
func socketPath(t *testing.T) string { return filepath.Join(t.TempDir(), "s") }

func listen(t *testing.T, path string, opts ...listener.Option) *listener.Listener {
	t.Helper()
	l, err := listener.Listen(path, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func dial(t *testing.T, path string) *conn.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := conn.Dial(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// acceptAsync runs Accept in a goroutine; the channel yields its result.
func acceptAsync(l *listener.Listener) <-chan acceptResult {
	ch := make(chan acceptResult, 1)
	go func() {
		c, err := l.Accept()
		ch <- acceptResult{c, err}
	}()
	return ch
}

type acceptResult struct {
	c   net.Conn
	err error
}

func awaitAccept(t *testing.T, ch <-chan acceptResult) acceptResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("Accept did not return within 10 s")
		return acceptResult{}
	}
}

// checkClosedErr checks an Accept error after Close: the one http.Serve and
// grpc.Server.Serve stop on, not a temporary one they would retry.
func checkClosedErr(t *testing.T, err error) {
	t.Helper()
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "accept" || !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Accept after Close: %v (%T), want an accept *net.OpError wrapping net.ErrClosed", err, err)
	}
	if tmp, ok := err.(interface{ Temporary() bool }); ok && tmp.Temporary() {
		t.Errorf("Accept error after Close is temporary: servers would retry it")
	}
}

func TestCloseUnblocksAccept(t *testing.T) {
	path := socketPath(t)
	l, err := listener.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	blocked := acceptAsync(l)
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	checkClosedErr(t, awaitAccept(t, blocked).err)
	_, err = l.Accept()
	checkClosedErr(t, err)
	if err := l.Close(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("second Close: %v, want net.ErrClosed", err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("socket file still there after Close: %v", err)
	}
}

// TestHTTPServe: http.Server serves over the listener and its Serve
// returns http.ErrServerClosed once the server closes the listener.
func TestHTTPServe(t *testing.T) {
	path := socketPath(t)
	l := listen(t, path)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "over shm")
	})}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) { return conn.Dial(ctx, path) },
	}}
	resp, err := client.Get("http://shm/")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || string(body) != "over shm" {
		t.Errorf("GET = %q, %v", body, err)
	}
	client.CloseIdleConnections()
	srv.Close()
	select {
	case err := <-served:
		if !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve returned %v, want http.ErrServerClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve still running 10 s after Close")
	}
}

func TestListenRefusesLiveListener(t *testing.T) {
	path := socketPath(t)
	l := listen(t, path)
	if l2, err := listener.Listen(path); !errors.Is(err, listener.ErrAddrInUse) {
		if l2 != nil {
			l2.Close()
		}
		t.Fatalf("second Listen on a live path: %v, want ErrAddrInUse", err)
	}
	// The first listener still serves.
	c := dial(t, path)
	defer c.Close()
	r := awaitAccept(t, acceptAsync(l))
	if r.err != nil {
		t.Fatal(r.err)
	}
	r.c.Close()
}

func TestListenReplacesStaleSocket(t *testing.T) {
	path := socketPath(t)
	ul, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ul.SetUnlinkOnClose(false)
	ul.Close() // leaves a socket file nobody answers
	if _, err := os.Lstat(path); err != nil {
		t.Fatalf("no stale socket to replace: %v", err)
	}
	l := listen(t, path)
	c := dial(t, path)
	defer c.Close()
	r := awaitAccept(t, acceptAsync(l))
	if r.err != nil {
		t.Fatal(r.err)
	}
	r.c.Close()
}

func TestListenRefusesNonSocket(t *testing.T) {
	path := socketPath(t)
	if err := os.WriteFile(path, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	if l, err := listener.Listen(path); err == nil {
		l.Close()
		t.Fatal("Listen replaced a regular file")
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "precious" {
		t.Errorf("the regular file changed: %q, %v", b, err)
	}
}

func TestSocketMode(t *testing.T) {
	path := socketPath(t)
	listen(t, path)
	st, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Type() != fs.ModeSocket || st.Mode().Perm() != 0o600 {
		t.Errorf("socket file mode %v, want a socket with mode 0600", st.Mode())
	}
}

// TestCloseKeepsReplacedSocket: a listener whose path was taken over by
// another listener does not remove the newcomer's socket when it closes.
func TestCloseKeepsReplacedSocket(t *testing.T) {
	path := socketPath(t)
	old, err := listener.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	l := listen(t, path)
	old.Close()
	if _, err := os.Lstat(path); err != nil {
		t.Fatalf("closing the old listener removed the new one's socket: %v", err)
	}
	c := dial(t, path)
	c.Close()
	if r := awaitAccept(t, acceptAsync(l)); r.err == nil {
		r.c.Close()
	}
}

// TestAcceptedConnsOutliveListener: closing the listener leaves accepted
// connections open.
func TestAcceptedConnsOutliveListener(t *testing.T) {
	path := socketPath(t)
	l := listen(t, path)
	c := dial(t, path)
	defer c.Close()
	r := awaitAccept(t, acceptAsync(l))
	if r.err != nil {
		t.Fatal(r.err)
	}
	defer r.c.Close()
	l.Close()
	r.c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte("still here")); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 10)
	if _, err := io.ReadFull(r.c, got); err != nil || string(got) != "still here" {
		t.Errorf("read %q, %v after the listener closed", got, err)
	}
}

// TestHandshakeCapDoesNotStall: with room for one handshake at a time, a
// client that connects and never answers delays a good client only until
// its handshake times out.
func TestHandshakeCapDoesNotStall(t *testing.T) {
	path := socketPath(t)
	l := listen(t, path, listener.WithMaxHandshakes(1), listener.WithHandshakeTimeout(200*time.Millisecond))
	staller, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer staller.Close()
	c := dial(t, path)
	defer c.Close()
	r := awaitAccept(t, acceptAsync(l))
	if r.err != nil {
		t.Fatal(r.err)
	}
	r.c.Close()
}

func TestOptionsValidated(t *testing.T) {
	for name, opt := range map[string]listener.Option{
		"zero handshake timeout": listener.WithHandshakeTimeout(0),
		"no handshakes":          listener.WithMaxHandshakes(0),
	} {
		if l, err := listener.Listen(socketPath(t), opt); err == nil {
			l.Close()
			t.Errorf("%s accepted", name)
		}
	}
}

// TestConnOptionsValidated: a bad connection option fails Listen, instead
// of failing every handshake later.
func TestConnOptionsValidated(t *testing.T) {
	if l, err := listener.Listen(socketPath(t), listener.WithConnOptions(conn.WithRingSize(1000))); err == nil {
		l.Close()
		t.Error("Listen accepted a 1000-byte ring size")
	}
}
