package conn_test

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/tachyon-ipc/tachyon-go/bus"
	"github.com/tachyon-ipc/tachyon-go/conn"
)

// TestPeerRefusedShared: a connection refused for its credentials matches
// bus.ErrPeerRefused too, since both packages share one sentinel.
func TestPeerRefusedShared(t *testing.T) {
	if conn.ErrPeerRefused != bus.ErrPeerRefused {
		t.Fatal("conn.ErrPeerRefused and bus.ErrPeerRefused are different values")
	}
	l := listen(t, sockPath(t))
	_, err := conn.Dial(context.Background(), l.Addr().String(), conn.WithPeerUIDs(os.Geteuid()+4242))
	if !errors.Is(err, bus.ErrPeerRefused) || !errors.Is(err, conn.ErrPeerRefused) {
		t.Fatalf("Dial to a listener of another uid: %v, want ErrPeerRefused", err)
	}
}
