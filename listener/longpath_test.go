package listener_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/listener"
)

// longPath is the longest socket path these tests bind: 107 bytes, the
// most sun_path holds with its terminating NUL (issue 14, attack 8: paths
// of 100-107 bytes once failed because a longer temporary name was bound
// first).
const longPath = 107

// TestLongSocketPath: a 107-byte path works for Listen and Dial, and every
// address and error shows that path, never another name.
func TestLongSocketPath(t *testing.T) {
	dir, err := os.MkdirTemp("", "tgo")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, strings.Repeat("s", longPath-len(dir)-1))
	if len(path) != longPath {
		t.Fatalf("path of %d bytes, want %d", len(path), longPath)
	}
	l := listen(t, path)
	onlyPath(t, dir, path)

	c := dial(t, path)
	defer c.Close()
	r := awaitAccept(t, acceptAsync(l))
	if r.err != nil {
		t.Fatal(r.err)
	}
	s := r.c.(*conn.Conn)
	defer s.Close()
	if _, err := c.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Read(make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	for what, addr := range map[string]string{
		"listener":       l.Addr().String(),
		"dialer's local": c.LocalAddr().String(), "dialer's remote": c.RemoteAddr().(*conn.Addr).Path,
		"acceptor's local": s.LocalAddr().String(), "acceptor's remote": s.RemoteAddr().(*conn.Addr).Path,
	} {
		if addr != path {
			t.Errorf("%s address %q, want %q", what, addr, path)
		}
	}

	// Errors name the path: a second listener, a write to a closed peer,
	// a dial once the listener is gone.
	_, err = listener.Listen(path)
	if !errors.Is(err, listener.ErrAddrInUse) {
		t.Errorf("second Listen: %v, want ErrAddrInUse", err)
	}
	namesPath(t, "second Listen", err, dir, path)
	c.Close()
	_, werr := s.Write([]byte("y")) // Close marked the ring unread before it returned
	if !errors.Is(werr, syscall.EPIPE) {
		t.Errorf("write to a closed peer: %v, want EPIPE", werr)
	}
	namesPath(t, "write to a closed peer", werr, dir, path)
	onlyPath(t, dir, path)
	l.Close()
	_, err = conn.Dial(t.Context(), path)
	if err == nil {
		t.Fatal("dial after the listener closed succeeded")
	}
	namesPath(t, "dial after Close", err, dir, path)
}

// onlyPath checks that dir holds nothing but the socket at path.
func onlyPath(t *testing.T, dir, path string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 || ents[0].Name() != filepath.Base(path) {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("%s holds %q, want only %q", dir, names, filepath.Base(path))
	}
}

// namesPath checks that err's text shows path, and no other name in dir
// (a temporary name is path's base with something around it).
func namesPath(t *testing.T, what string, err error, dir, path string) {
	t.Helper()
	if err == nil {
		return
	}
	msg := err.Error()
	if !strings.Contains(msg, path) {
		t.Errorf("%s: error %q does not name %s", what, msg, path)
	}
	rest := strings.ReplaceAll(msg, path, "")
	if strings.Contains(rest, dir) || strings.Contains(rest, filepath.Base(path)) {
		t.Errorf("%s: error %q names another file than %s", what, msg, path)
	}
	t.Logf("%s: %v", what, err)
}
