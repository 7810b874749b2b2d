package listener_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/listener"
)

// BenchmarkDialAccept measures a shared-memory client's whole connection
// setup, conn.Dial to Accept, on a dual-stack listener (the default: the
// listener peeks at the first bytes first) and on a shared-memory-only one:
// the difference is what telling plain clients apart costs a tachyon-go
// client. Nothing changes after the handshake. The unix row is a plain Unix
// socket's dial and accept, the baseline of the same run.
func BenchmarkDialAccept(b *testing.B) {
	b.Run("unix", func(b *testing.B) {
		path := b.TempDir() + "/s"
		l, err := net.Listen("unix", path)
		if err != nil {
			b.Fatal(err)
		}
		defer l.Close()
		dialAcceptLoop(b, l, func() (net.Conn, error) { return net.Dial("unix", path) })
	})
	for _, bc := range []struct {
		name  string
		plain bool
	}{{"shm-only", false}, {"dual-stack", true}} {
		b.Run(bc.name, func(b *testing.B) {
			path := b.TempDir() + "/s"
			l, err := listener.Listen(path, listener.WithPlainClients(bc.plain),
				listener.WithConnOptions(conn.WithRingSize(conn.MinRingSize)))
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			dialAcceptLoop(b, l, func() (net.Conn, error) { return conn.Dial(ctx, path, conn.WithRingSize(conn.MinRingSize)) })
		})
	}
}

// dialAcceptLoop times dial, then Accept on l, then closing both ends.
func dialAcceptLoop(b *testing.B, l net.Listener, dial func() (net.Conn, error)) {
	for b.Loop() {
		c, err := dial()
		if err != nil {
			b.Fatal(err)
		}
		s, err := l.Accept()
		if err != nil {
			b.Fatal(err)
		}
		c.Close()
		s.Close()
	}
}
