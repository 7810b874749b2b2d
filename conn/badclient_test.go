//go:build linux

package conn_test

import (
	"context"
	"encoding/binary"
	"errors"
	"log/slog"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/internal/handshake"
	"github.com/tachyon-ipc/tachyon-go/internal/sys"
	"github.com/tachyon-ipc/tachyon-go/listener"
)

// Bad clients against a real listener: raw Unix sockets that hang up, send
// garbage, stall, or speak only Tachyon. Each handshake must fail with a
// logged error that names the problem, nothing may surface from Accept, no
// descriptor or goroutine may stay behind, and the same listener must serve
// a good client right after (and, for the staller, during) each attempt.

// logErrs is a slog.Handler that passes on the "err" attribute of every
// record, which is how the listener reports a failed handshake.
type logErrs chan error

func (h logErrs) Enabled(context.Context, slog.Level) bool { return true }
func (h logErrs) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h logErrs) WithGroup(string) slog.Handler            { return h }

func (h logErrs) Handle(_ context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool {
		if err, ok := a.Value.Any().(error); ok && a.Key == "err" {
			select {
			case h <- err:
			default: // never block the listener
			}
		}
		return true
	})
	return nil
}

// badClientTimeout is the listener's handshake timeout in these tests.
const badClientTimeout = 300 * time.Millisecond

// clientHello returns a session hello (ABI.md §5.2) with the given version
// and requested ring sizes.
func clientHello(version, toServer, toClient uint32) []byte {
	b := make([]byte, 32)
	ne := binary.NativeEndian
	ne.PutUint32(b[0:], 0x484f4754) // "TGOH"
	ne.PutUint32(b[4:], version)
	ne.PutUint32(b[8:], sessFeatureBells)
	ne.PutUint32(b[12:], toServer)
	ne.PutUint32(b[16:], toClient)
	return b
}

// receiveAll sends a hello and reads the handshake and the session offer as
// a well-behaved dialer would, and closes the descriptors.
func receiveAll(uc *net.UnixConn) error {
	if _, err := uc.Write(clientHello(sessVersion, 0, 0)); err != nil {
		return err
	}
	_, fds, err := handshake.Receive(uc)
	if err != nil {
		return err
	}
	sys.CloseAll(fds)
	b := make([]byte, sessionMessageSize)
	_, bells, err := sys.RecvFds(uc, b, 4)
	sys.CloseAll(bells)
	return err
}

// ack returns a session acknowledgement with the given version and status.
func ack(version, status uint32) []byte {
	b := sessionOffer(version, sessFeatureBells)
	b[12] = byte(status)
	return b
}

// hungUp is the error of a client that left mid-handshake: it closed
// before the listener wrote (EPIPE), with data unread (ECONNRESET), or
// cleanly (ErrNotSession).
func hungUp(err error) bool {
	return errors.Is(err, conn.ErrNotSession) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET)
}

var badClients = []struct {
	name string
	// run misbehaves on a connection to the listener at path, then
	// returns; the connection is closed after the failure is logged.
	run   func(t *testing.T, uc *net.UnixConn, path string, l *listener.Listener)
	check func(err error) bool
	says  string // a substring of the logged error, if check is nil
}{
	{name: "closes at once",
		run:   func(t *testing.T, uc *net.UnixConn, _ string, _ *listener.Listener) { uc.Close() },
		check: hungUp},
	{name: "garbage",
		run: func(t *testing.T, uc *net.UnixConn, _ string, _ *listener.Listener) {
			if _, err := uc.Write([]byte("GET / HTTP/1.1\r\nHost: shm\r\n\r\n")); err != nil {
				t.Error(err)
			}
		},
		says: `client opened with "GET ", not a tachyon-go hello`},
	{name: "hello of session version 1",
		run: func(t *testing.T, uc *net.UnixConn, _ string, _ *listener.Listener) {
			if _, err := uc.Write(clientHello(1, 0, 0)); err != nil {
				t.Error(err)
			}
		},
		check: func(err error) bool { return errors.Is(err, conn.ErrNotSession) },
		says:  "client speaks session version 1, we speak 2"},
	{name: "asks for a ring that is not a power of two",
		run: func(t *testing.T, uc *net.UnixConn, _ string, _ *listener.Listener) {
			if _, err := uc.Write(clientHello(sessVersion, 5000, 0)); err != nil {
				t.Error(err)
			}
		},
		check: func(err error) bool { return errors.Is(err, conn.ErrNotSession) },
		says:  "client asks for a ring of 5000 bytes"},
	{name: "half a hello",
		run: func(t *testing.T, uc *net.UnixConn, _ string, _ *listener.Listener) {
			if _, err := uc.Write(clientHello(sessVersion, 0, 0)[:20]); err != nil {
				t.Error(err)
			}
		},
		check: func(err error) bool { return errors.Is(err, conn.ErrNoHello) }},
	{name: "never acknowledges",
		run: func(t *testing.T, uc *net.UnixConn, path string, l *listener.Listener) {
			if err := receiveAll(uc); err != nil {
				t.Error(err)
			}
			goodClient(t, path, l) // while this one stalls
		},
		check: func(err error) bool {
			return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded)
		}},
	{name: "partial acknowledgement",
		run: func(t *testing.T, uc *net.UnixConn, _ string, _ *listener.Listener) {
			if err := receiveAll(uc); err != nil {
				t.Error(err)
			}
			if _, err := uc.Write(ack(sessVersion, 0)[:7]); err != nil {
				t.Error(err)
			}
		},
		check: func(err error) bool {
			return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded)
		}},
	{name: "Tachyon connector", run: tachyonConnector,
		check: func(err error) bool { return errors.Is(err, conn.ErrNoHello) }},

	{name: "session version 9",
		run: func(t *testing.T, uc *net.UnixConn, _ string, _ *listener.Listener) {
			if err := receiveAll(uc); err != nil {
				t.Error(err)
			}
			if _, err := uc.Write(ack(9, 0)); err != nil {
				t.Error(err)
			}
		},
		check: func(err error) bool { return errors.Is(err, conn.ErrNotSession) },
		says:  "session version 9, we speak 2"},
	{name: "rejects the session",
		run: func(t *testing.T, uc *net.UnixConn, _ string, _ *listener.Listener) {
			if err := receiveAll(uc); err != nil {
				t.Error(err)
			}
			if _, err := uc.Write(ack(sessVersion, 3)); err != nil {
				t.Error(err)
			}
		},
		says: "peer rejected the session (status 3)"},
}

func TestListenerSurvivesBadClients(t *testing.T) {
	path := sockPath(t)
	errs := make(logErrs, 16)
	l, err := listener.Listen(path, listener.WithHandshakeTimeout(badClientTimeout),
		listener.WithLogger(slog.New(errs)), listener.WithPlainClients(false))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	goodClient(t, path, l) // warm up
	for _, bc := range badClients {
		t.Run(bc.name, func(t *testing.T) {
			base := countResources(t)
			uc, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: path, Net: "unix"})
			if err != nil {
				t.Fatal(err)
			}
			defer uc.Close()
			bc.run(t, uc, path, l)
			var logged error
			select {
			case logged = <-errs:
			case <-time.After(10 * time.Second):
				t.Fatal("no failed handshake logged within 10 s")
			}
			t.Logf("logged: %v", logged)
			if bc.check != nil && !bc.check(logged) {
				t.Errorf("logged error %q is not the expected kind", logged)
			}
			if bc.says != "" && !strings.Contains(logged.Error(), bc.says) {
				t.Errorf("logged error %q does not say %q", logged, bc.says)
			}
			uc.Close()
			goodClient(t, path, l)
			settle(t, base)
		})
	}
	select {
	case err := <-errs:
		t.Errorf("unexpected extra log: %v", err)
	default:
	}
}

// tachyonConnector is what a Tachyon C++ connector does: it waits for the
// 32 bytes with the memfds and sends nothing, so a tachyon-go listener,
// which waits for the client's hello, sends it nothing either.
func tachyonConnector(t *testing.T, uc *net.UnixConn, _ string, _ *listener.Listener) {
	uc.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, fds, err := handshake.Receive(uc)
	if err == nil {
		t.Error("a tachyon-go listener sent Tachyon's handshake to a client that sent no hello")
	}
	sys.CloseAll(fds)
	uc.Close()
}

// TestListenerNamesTachyonConnector: the listener's log says what happened
// when a Tachyon connector (not a tachyon-go dialer) connects.
func TestListenerNamesTachyonConnector(t *testing.T) {
	path := sockPath(t)
	errs := make(logErrs, 16)
	l, err := listener.Listen(path, listener.WithLogger(slog.New(errs)), listener.WithPlainClients(false))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	uc, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	tachyonConnector(t, uc, path, l)
	select {
	case err := <-errs:
		if !errors.Is(err, conn.ErrNoHello) || !strings.Contains(err.Error(), "a Tachyon connector") {
			t.Errorf("logged %q, want ErrNoHello naming a Tachyon connector", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no failed handshake logged within 10 s")
	}
}

// goodClient dials, is accepted, exchanges a byte each way and closes.
func goodClient(t *testing.T, path string, l *listener.Listener) {
	t.Helper()
	c := dial(t, path)
	defer c.Close()
	s := accept(t, l)
	defer s.Close()
	exchange(t, c, s)
	exchange(t, s, c)
}
