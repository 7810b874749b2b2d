//go:build linux

package conn_test

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/internal/peerproc"
	"github.com/tachyon-ipc/tachyon-go/listener"
)

// A peer running as another user is refused twice over: by the socket's
// file mode (0600) and, where the file mode lets it through, by the
// SO_PEERCRED check on either side. The peer runs as uid otherUID, which
// needs this test to run as root.

// otherUID is nobody's uid (and gid) on most systems.
const otherUID = 65534

func init() {
	peerproc.Register("uiddial", uidDialRole)
}

// uidDialRole reports ready, then dials args[0] accepting a listener of
// uid args[1]; it reports the error, or the uid it saw and writes "hi".
func uidDialRole(args []string) error {
	ctl, err := peerproc.Socket()
	if err != nil {
		return err
	}
	uid, err := strconv.Atoi(args[1])
	if err != nil {
		return err
	}
	if err := signal(ctl); err != nil {
		return err
	}
	c, err := dialFrom(args[0], conn.WithPeerUIDs(uid))
	r := errReport(err)
	if err == nil {
		r.UID = c.RemoteAddr().(*conn.Addr).UID
		_, err = c.Write([]byte("hi"))
		c.Close()
		if err != nil {
			return err
		}
	}
	return sendReport(ctl, r)
}

// asOtherUser runs a peer as otherUID, after making this test binary
// reachable for it; it skips the test when that is impossible.
func asOtherUser(t *testing.T) *syscall.SysProcAttr {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("running a peer under another uid needs root")
	}
	exposeExecutable(t)
	return &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: otherUID, Gid: otherUID}}
}

// exposeExecutable lets other users search the directories above this test
// binary and run it, for the length of the test. It only loosens
// directories inside os.TempDir() (go test builds there, mode 0700); a
// binary elsewhere that others cannot reach skips the test.
func exposeExecutable(t *testing.T) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Skipf("cannot find the test binary: %v", err)
	}
	tmp := filepath.Clean(os.TempDir()) + string(filepath.Separator)
	for p := exe; p != "/"; p = filepath.Dir(p) {
		st, err := os.Stat(p)
		if err != nil {
			t.Skipf("cannot expose %s: %v", p, err)
		}
		need := os.FileMode(0o001) // others may search
		if p == exe {
			need = 0o005 // others may read and run
		}
		mode := st.Mode().Perm()
		if mode&need == need {
			continue
		}
		if !strings.HasPrefix(p, tmp) {
			t.Skipf("uid %d cannot reach the test binary through %s (mode %v)", otherUID, p, mode)
		}
		if err := os.Chmod(p, mode|need); err != nil {
			t.Skipf("cannot expose %s: %v", p, err)
		}
		t.Cleanup(func() { os.Chmod(p, mode) })
	}
}

// sharedDir returns a fresh directory for a socket that otherUID may reach
// and, with writable, create files in.
func sharedDir(t *testing.T, writable bool) string {
	t.Helper()
	dir := filepath.Dir(sockPath(t))
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if writable {
		if err := os.Chown(dir, otherUID, otherUID); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestOtherUserRefusedByFileMode: the socket is 0600 and ours, so a peer of
// another uid cannot even connect.
func TestOtherUserRefusedByFileMode(t *testing.T) {
	attr := asOtherUser(t)
	path := filepath.Join(sharedDir(t, false), "s")
	listen(t, path)
	p, ctl := startRole(t, "uiddial", []string{path, "0"}, attr)
	r := readReport(t, ctl, 30*time.Second)
	if !r.is(syscall.EACCES) {
		t.Errorf("uid %d dialing a 0600 socket: %q, want EACCES", otherUID, r.Err)
	}
	t.Logf("uid %d: %s", otherUID, r.Err)
	p.Wait(10 * time.Second)
}

// TestOtherUserRefusedByListener: with the file mode opened, the listener's
// SO_PEERCRED check refuses a dialer of another uid (and logs why), unless
// WithPeerUIDs allows that uid.
func TestOtherUserRefusedByListener(t *testing.T) {
	attr := asOtherUser(t)
	dir := sharedDir(t, false)
	t.Run("default", func(t *testing.T) {
		path := filepath.Join(dir, "refuse")
		errs := make(logErrs, 4)
		l, err := listener.Listen(path, listener.WithLogger(slog.New(errs)))
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		openSocket(t, path)
		p, ctl := startRole(t, "uiddial", []string{path, "0"}, attr)
		r := readReport(t, ctl, 30*time.Second)
		if r.Err == "" {
			t.Errorf("uid %d's Dial succeeded", otherUID)
		}
		select {
		case err := <-errs:
			if !errors.Is(err, conn.ErrPeerRefused) || !strings.Contains(err.Error(), "uid 65534") {
				t.Errorf("listener logged %q, want ErrPeerRefused naming uid %d", err, otherUID)
			}
			t.Logf("listener: %v; dialer: %s", err, r.Err)
		case <-time.After(10 * time.Second):
			t.Error("the listener logged no refusal")
		}
		p.Wait(10 * time.Second)
	})
	t.Run("allowed", func(t *testing.T) {
		path := filepath.Join(dir, "allow")
		l := listen(t, path, conn.WithPeerUIDs(otherUID))
		openSocket(t, path)
		p, ctl := startRole(t, "uiddial", []string{path, "0"}, attr)
		s := accept(t, l)
		defer s.Close()
		r := readReport(t, ctl, 30*time.Second)
		if r.Err != "" || r.UID != 0 {
			t.Fatalf("uid %d's Dial: %q, saw listener uid %d", otherUID, r.Err, r.UID)
		}
		peer := s.RemoteAddr().(*conn.Addr)
		if peer.UID != otherUID || peer.GID != otherUID || peer.PID != p.Pid() {
			t.Errorf("RemoteAddr = %+v, want uid and gid %d, pid %d", peer, otherUID, p.Pid())
		}
		s.SetReadDeadline(time.Now().Add(10 * time.Second))
		if got, err := io.ReadAll(s); string(got) != "hi" || err != nil {
			t.Errorf("read %q, %v from uid %d; want hi", got, err, otherUID)
		}
		p.Wait(10 * time.Second)
	})
}

// TestOtherUserRefusedByDialer: a listener running as another uid (in a
// directory of its own) is refused by Dial's SO_PEERCRED check by default,
// and accepted with WithPeerUIDs.
func TestOtherUserRefusedByDialer(t *testing.T) {
	attr := asOtherUser(t)
	path := filepath.Join(sharedDir(t, true), "s")
	startRole(t, "echo", []string{path, strconv.Itoa(4 << 10), "20µs", "0"}, attr)

	_, err := dialFrom(path)
	if !errors.Is(err, conn.ErrPeerRefused) || !strings.Contains(err.Error(), "uid 65534") {
		t.Fatalf("Dial to uid %d's listener: %v, want ErrPeerRefused naming the uid", otherUID, err)
	}
	t.Logf("default: %v", err)

	c, err := dialFrom(path, conn.WithPeerUIDs(otherUID))
	if err != nil {
		t.Fatalf("Dial allowing uid %d: %v", otherUID, err)
	}
	defer c.Close()
	if peer := c.RemoteAddr().(*conn.Addr); peer.UID != otherUID {
		t.Errorf("RemoteAddr = %+v, want uid %d", peer, otherUID)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 4)
	if _, err := io.ReadFull(c, got); err != nil || string(got) != "ping" {
		t.Errorf("echo from uid %d: %q, %v", otherUID, got, err)
	}
}

// openSocket lets everyone connect to the socket at path.
func openSocket(t *testing.T, path string) {
	t.Helper()
	if err := os.Chmod(path, 0o666); err != nil {
		t.Fatal(err)
	}
}
