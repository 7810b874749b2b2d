package conn_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/internal/peerproc"
)

func init() {
	peerproc.Register("plain-echo", plainEchoRole)
	peerproc.Register("forced-plain-echo", echoRole)
}

// plainEchoRole serves a plain Unix-socket echo server (net.Listen, not
// package listener) at args[0].
func plainEchoRole(args []string) error {
	ln, err := net.Listen("unix", args[0])
	if err != nil {
		return err
	}
	defer ln.Close()
	ctl, err := peerproc.Announce()
	if err != nil {
		return err
	}
	go serveEcho(ln)
	peerproc.AwaitHangup(ctl)
	return nil
}

// startPeerAt runs role at a fresh socket path, in another process with env.
func startPeerAt(t *testing.T, role string, args []string, env ...string) string {
	t.Helper()
	path := sockPath(t)
	p, ctl, err := peerproc.StartReady(role, append([]string{path}, args...), &peerproc.Options{Env: env}, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctl.Close()
		p.Wait(10 * time.Second)
	})
	return path
}

// echoOnce writes a line on c and checks that it comes back.
func echoOnce(t *testing.T, c net.Conn) {
	t.Helper()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	msg := []byte("ping over the fallback\n")
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("echo: %q, %v", got, err)
	}
}

// logLines collects what a slog.Logger writes.
type logLines struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logLines) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(b)
}

func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// TestDialFallbackPlainEchoServer: against a plain Unix-socket echo server
// in another process, Dial fails naming the cause and DialFallback returns
// a plain connection that works, logged and counted.
func TestDialFallbackPlainEchoServer(t *testing.T) {
	path := startPeerAt(t, "plain-echo", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	_, err := conn.Dial(ctx, path)
	if !errors.Is(err, conn.ErrPlainListener) || !strings.Contains(err.Error(), `it answered "TGOH`) {
		t.Errorf("Dial to a plain echo server: %v; want ErrPlainListener naming what it answered", err)
	}

	var log logLines
	before := conn.Fallbacks()
	c, err := conn.DialFallback(ctx, path, conn.WithLogger(slog.New(slog.NewTextHandler(&log, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if conn.IsSharedMemory(c) || c.RemoteAddr().Network() != "unix" {
		t.Errorf("DialFallback returned %T on %q, want a plain Unix-socket connection", c, c.RemoteAddr().Network())
	}
	echoOnce(t, c)
	if got := conn.Fallbacks() - before; got != 1 {
		t.Errorf("Fallbacks rose by %d, want 1", got)
	}
	if s := log.String(); !strings.Contains(s, "plain Unix-socket connection") || !strings.Contains(s, "answered") {
		t.Errorf("log %q does not report the fallback and its cause", s)
	}
}

// TestDialFallbackSilentServer: a plain server that waits for a whole
// request of its own protocol (as an HTTP server does) stays silent after
// our hello; DialFallback takes it for plain after the probe, and the next
// DialFallback to the path remembers it: no hello, no probe.
func TestDialFallbackSilentServer(t *testing.T) {
	path := sockPath(t)
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	opened := make(chan string, 8) // the first 4 bytes of each connection
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { // never answers
				defer c.Close()
				c.SetReadDeadline(time.Now().Add(30 * time.Second))
				var b [4]byte
				n, _ := io.ReadFull(c, b[:])
				opened <- string(b[:n])
				io.Copy(io.Discard, c)
			}()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i, want := range [][]string{{conn.HelloMagic, "ping"}, {"ping"}} {
		c, err := conn.DialFallback(ctx, path, conn.WithFallbackProbe(50*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		if conn.IsSharedMemory(c) {
			t.Fatalf("dial %d: DialFallback to a silent server returned shared memory", i)
		}
		io.WriteString(c, "ping")
		for _, w := range want {
			select {
			case got := <-opened:
				if got != w {
					t.Errorf("dial %d: a connection opened with %q, want %q", i, got, w)
				}
			case <-ctx.Done():
				t.Fatalf("dial %d: the server saw no connection opening with %q", i, w)
			}
		}
		c.Close()
	}
}

// TestDialFallbackSharedMemory: against a tachyon-go listener DialFallback
// is Dial.
func TestDialFallbackSharedMemory(t *testing.T) {
	path := sockPath(t)
	go serveEcho(listen(t, path))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := conn.DialFallback(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !conn.IsSharedMemory(c) || c.RemoteAddr().Network() != conn.Network {
		t.Errorf("DialFallback to a tachyon-go listener returned %T", c)
	}
	echoOnce(t, c)
}

// TestDialFallbackListenerWithoutSharedMemory: a listener in another
// process that cannot set up shared memory (TACHYON_GO_FORCE_PLAIN=1 there)
// refuses our hello saying so: Dial fails with ErrNoSharedMemory, and
// DialFallback connects plainly to the same listener.
func TestDialFallbackListenerWithoutSharedMemory(t *testing.T) {
	path := startPeerAt(t, "forced-plain-echo", []string{"65536", "0"}, conn.ForcePlainEnv+"=1")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := conn.Dial(ctx, path)
	if !errors.Is(err, conn.ErrNoSharedMemory) || !errors.Is(err, errors.ErrUnsupported) ||
		!strings.Contains(err.Error(), "listener cannot set up shared memory") {
		t.Errorf("Dial to a listener without shared memory: %v; want ErrNoSharedMemory saying so", err)
	}
	c, err := conn.DialFallback(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if conn.IsSharedMemory(c) {
		t.Fatalf("DialFallback returned shared memory from a listener without it")
	}
	echoOnce(t, c)
}

// TestForcedPlain: with TACHYON_GO_FORCE_PLAIN=1, Dial fails at once with
// ErrNoSharedMemory and DialFallback connects plainly, without a hello.
func TestForcedPlain(t *testing.T) {
	t.Setenv(conn.ForcePlainEnv, "1")
	path := sockPath(t)
	l := listen(t, path)
	go serveEcho(l)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := conn.Dial(ctx, path); !errors.Is(err, conn.ErrNoSharedMemory) || !strings.Contains(err.Error(), conn.ForcePlainEnv) {
		t.Errorf("forced-plain Dial: %v; want ErrNoSharedMemory naming %s", err, conn.ForcePlainEnv)
	}
	c, err := conn.DialFallback(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	echoOnce(t, c)
	if st := l.Stats(); st.Plain != 1 || st.Handshaken != 0 || st.Accepted != 1 {
		t.Errorf("listener Stats %+v; want the one client plain", st)
	}
}
