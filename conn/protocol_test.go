package conn_test

import (
	"context"
	"testing"

	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/listener"
)

// TestProtocolReachesServer: the protocol a dialer names in its hello
// (WithProtocol) is what the accepted connection reports, and the dialer's
// own connection reports it too; ring sizes asked for are granted within
// the listener's limit and reported by RingSizes on both ends.
func TestProtocolReachesServer(t *testing.T) {
	path := sockPath(t)
	l, err := listener.Listen(path, listener.WithConnOptions(conn.WithMaxRingSize(64<<10)))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c, err := conn.Dial(context.Background(), path, conn.WithProtocol(0x63707267), conn.WithRingSizes(16<<10, 1<<20))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s := accept(t, l)
	defer s.Close()
	if got := s.Protocol(); got != 0x63707267 {
		t.Errorf("server's Protocol() = %#x, want %#x", got, 0x63707267)
	}
	if got := c.Protocol(); got != 0x63707267 {
		t.Errorf("dialer's Protocol() = %#x", got)
	}
	if send, recv := c.RingSizes(); send != 16<<10 || recv != 64<<10 {
		t.Errorf("dialer's RingSizes() = %d, %d; want 16 KiB asked, 64 KiB capped", send, recv)
	}
	if send, recv := s.RingSizes(); send != 64<<10 || recv != 16<<10 {
		t.Errorf("server's RingSizes() = %d, %d", send, recv)
	}
	exchange(t, c, s)
}

// TestEmptyPeerUIDsRefused: WithPeerUIDs with no uid would refuse every
// peer, silently on a listener; it is an option error instead, at Listen.
func TestEmptyPeerUIDsRefused(t *testing.T) {
	if err := conn.ValidateOptions(conn.WithPeerUIDs()); err == nil {
		t.Fatal("ValidateOptions(WithPeerUIDs()) succeeded")
	}
	if l, err := listener.Listen(sockPath(t), listener.WithConnOptions(conn.WithPeerUIDs())); err == nil {
		l.Close()
		t.Fatal("Listen with WithPeerUIDs() succeeded")
	}
	if err := conn.ValidateOptions(conn.WithPeerUIDs(1000)); err != nil {
		t.Fatalf("WithPeerUIDs(1000): %v", err)
	}
}
