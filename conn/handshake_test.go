//go:build linux

package conn_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/internal/handshake"
	"github.com/tachyon-ipc/tachyon-go/internal/sys"
	"github.com/tachyon-ipc/tachyon-go/shmring"
	"golang.org/x/sys/unix"
)

// Dial against fake listeners: a raw Unix socket in the test that sends
// malformed handshakes, wrong descriptors or a bad session offer. Each Dial
// must fail with an error that names the problem, and leave no descriptor,
// mapping or goroutine behind.

// Byte offsets of Tachyon's 32-byte handshake (TACHYON-WIRE-V4.md), written
// out here so the test checks the wire, not the code's own constants.
const (
	hsMagic       = 0
	hsVersion     = 4
	hsCapacityFwd = 8
	hsShmSizeFwd  = 12
	hsCapacityRev = 16
	hsShmSizeRev  = 20
	hsAlignment   = 24
	hsFlags       = 28
)

// The tachyon-go session message that follows (conn/session.go): magic
// "TGOS", version, features, status, each a native-endian u32.
const (
	sessMagic          = 0x534f4754
	sessVersion        = 2
	sessFeatureBells   = 1
	sessionMessageSize = 16
)

// fakeCap is the ring capacity fake listeners state.
const fakeCap = 4 << 10

// hello returns a valid two-ring handshake for fakeCap rings with the
// given u32 fields overwritten (offset → value).
func hello(set map[int]uint32) []byte {
	b := handshake.Hello{CapacityFwd: fakeCap, CapacityRev: fakeCap, TwoRing: true}.Marshal()
	for off, v := range set {
		binary.NativeEndian.PutUint32(b[off:], v)
	}
	return b[:]
}

// sessionOffer returns a session message with the given version and
// features.
func sessionOffer(version, features uint32) []byte {
	b := make([]byte, sessionMessageSize)
	ne := binary.NativeEndian
	ne.PutUint32(b[0:], sessMagic)
	ne.PutUint32(b[4:], version)
	ne.PutUint32(b[8:], features)
	return b
}

// fakeFds creates descriptors for a fake listener to send; it closes them
// all when the fake ends.
type fakeFds struct{ fds []int }

func (f *fakeFds) add(fds ...int) []int { f.fds = append(f.fds, fds...); return fds }
func (f *fakeFds) close()               { sys.CloseAll(f.fds) }

// rings returns the memfds of n valid rings of capacity c.
func (f *fakeFds) rings(n, c int) ([]int, error) {
	var fds []int
	for range n {
		r, err := shmring.Create("fake-ring", c)
		if err != nil {
			return nil, err
		}
		fd, err := sys.Dup(r.Fd())
		r.Close()
		if err != nil {
			return nil, err
		}
		fds = append(fds, f.add(fd)...)
	}
	return fds, nil
}

// memfds returns n memfds of size bytes, sealed against shrinking and
// growing or not, with no ring inside.
func (f *fakeFds) memfds(n, size int, sealed bool) ([]int, error) {
	var fds []int
	for range n {
		if sealed {
			fd, err := sys.CreateSealedMemfd("fake-sealed", size)
			if err != nil {
				return nil, err
			}
			fds = append(fds, f.add(fd)...)
			continue
		}
		fd, err := unix.MemfdCreate("fake-unsealed", unix.MFD_CLOEXEC)
		if err != nil {
			return nil, err
		}
		f.add(fd)
		if err := unix.Ftruncate(fd, int64(size)); err != nil {
			return nil, err
		}
		fds = append(fds, fd)
	}
	return fds, nil
}

// pipes returns n descriptors that are pipe ends.
func (f *fakeFds) pipes(n int) ([]int, error) {
	var fds []int
	for len(fds) < n {
		var p [2]int
		if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
			return nil, err
		}
		fds = append(fds, f.add(p[:]...)...)
	}
	return fds[:n], nil
}

// bells returns the ringing ends of n wake socket pairs.
func (f *fakeFds) bells(n int) ([]int, error) {
	var fds []int
	for range n {
		p, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return nil, err
		}
		f.add(p[:]...)
		fds = append(fds, p[1])
	}
	return fds, nil
}

// eventfds returns n eventfds (the doorbells of session version 1).
func (f *fakeFds) eventfds(n int) ([]int, error) {
	var fds []int
	for range n {
		fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
		if err != nil {
			return nil, err
		}
		fds = append(fds, f.add(fd)...)
	}
	return fds, nil
}

// A fakeListener misbehaves on one accepted connection; fds it creates go
// through f. Returning ends the connection.
type fakeListener func(uc *net.UnixConn, f *fakeFds) error

// sendRingsThen sends a valid handshake with valid rings, then what next
// sends; a nil next is a Tachyon listener, which sends nothing more.
func sendRingsThen(next func(uc *net.UnixConn, f *fakeFds) error) fakeListener {
	return func(uc *net.UnixConn, f *fakeFds) error {
		rings, err := f.rings(2, fakeCap)
		if err != nil {
			return err
		}
		if err := sys.SendFds(uc, hello(nil), rings...); err != nil {
			return err
		}
		if next == nil {
			return nil
		}
		if err := next(uc, f); err != nil {
			return err
		}
		return waitHangUp(uc)
	}
}

// sendHello sends msg with the descriptors fds makes, then waits for the
// dialer to hang up.
func sendHello(msg []byte, fds func(f *fakeFds) ([]int, error)) fakeListener {
	return func(uc *net.UnixConn, f *fakeFds) error {
		var sent []int
		if fds != nil {
			var err error
			if sent, err = fds(f); err != nil {
				return err
			}
		}
		if err := sys.SendFds(uc, msg, sent...); err != nil {
			return err
		}
		return waitHangUp(uc)
	}
}

// sendOffer sends a session offer (after valid rings) with the doorbells
// bells makes.
func sendOffer(msg []byte, bells func(f *fakeFds) ([]int, error)) fakeListener {
	return sendRingsThen(func(uc *net.UnixConn, f *fakeFds) error {
		fds, err := bells(f)
		if err != nil {
			return err
		}
		return sys.SendFds(uc, msg, fds...)
	})
}

// waitHangUp reads until the dialer closes its end, so that the dialer
// fails on what we sent, not on our leaving.
func waitHangUp(uc *net.UnixConn) error {
	uc.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err := io.Copy(io.Discard, uc)
	return err
}

func ringsOf(c int) func(f *fakeFds) ([]int, error) {
	return func(f *fakeFds) ([]int, error) { return f.rings(2, c) }
}

// fakeListenerCases are the misbehaving listeners and what Dial must say.
var fakeListenerCases = []struct {
	name string
	fake fakeListener
	is   error  // errors.Is target, if any
	says string // a substring of the error text
}{
	{"closes at once", func(*net.UnixConn, *fakeFds) error { return nil },
		conn.ErrNotSession, "closed the connection after our hello"},
	{"HTTP server", sendHello([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"), nil),
		conn.ErrNotSession, `not a tachyon-go listener: it answered "HTTP/1.1 400 Bad"`},
	{"short handshake", sendHello(hello(nil)[:16], ringsOf(fakeCap)),
		handshake.ErrABIMismatch, "handshake is 16 bytes, expected 32"},
	{"wrong magic", sendHello(hello(map[int]uint32{hsMagic: 0xdeadbeef}), ringsOf(fakeCap)),
		conn.ErrNotSession, "not a tachyon-go listener"},
	{"wire version 3", sendHello(hello(map[int]uint32{hsVersion: 3}), ringsOf(fakeCap)),
		handshake.ErrABIMismatch, "peer speaks wire version 3, we speak 4"},
	{"alignment 128", sendHello(hello(map[int]uint32{hsAlignment: 128}), ringsOf(fakeCap)),
		handshake.ErrABIMismatch, "aligns messages to 128 bytes"},
	{"flags 7", sendHello(hello(map[int]uint32{hsFlags: 7}), ringsOf(fakeCap)),
		handshake.ErrABIMismatch, "unknown handshake flags 0x7"},
	{"plain bus", sendHello(hello(map[int]uint32{hsFlags: 0, hsCapacityRev: 0, hsShmSizeRev: 0}),
		func(f *fakeFds) ([]int, error) { return f.rings(1, fakeCap) }),
		conn.ErrNotSession, "plain one-ring Tachyon bus"},
	{"capacity not a power of two", sendHello(hello(map[int]uint32{hsCapacityFwd: 5000, hsShmSizeFwd: 5768}), ringsOf(fakeCap)),
		handshake.ErrABIMismatch, "capacity 5000"},
	{"size disagrees with capacity", sendHello(hello(map[int]uint32{hsShmSizeRev: 9999}), ringsOf(fakeCap)),
		handshake.ErrABIMismatch, "states a segment of 9999 bytes"},
	{"MSG_CTRUNC", sendHello(hello(nil), func(f *fakeFds) ([]int, error) { return f.rings(3, fakeCap) }),
		sys.ErrControlTruncated, "MSG_CTRUNC"},
	{"one memfd for two rings", sendHello(hello(nil), func(f *fakeFds) ([]int, error) { return f.rings(1, fakeCap) }),
		conn.ErrNotSession, "carried 1 ring descriptors, expected 2"},
	{"same memfd for both rings", sendHello(hello(nil), func(f *fakeFds) ([]int, error) {
		fds, err := f.rings(1, fakeCap)
		if err != nil {
			return nil, err
		}
		return []int{fds[0], fds[0]}, nil
	}), conn.ErrNotSession, "same memory file for both rings"},
	{"no memfd", sendHello(hello(nil), nil),
		conn.ErrNotSession, "carried 0 ring descriptors"},
	{"unsealed memfd", sendHello(hello(nil), func(f *fakeFds) ([]int, error) {
		return f.memfds(2, shmring.SegmentSize(fakeCap), false)
	}), nil, "not sealed against shrink and grow"},
	{"memfd smaller than stated", sendHello(hello(nil), func(f *fakeFds) ([]int, error) {
		return f.memfds(2, shmring.SegmentSize(fakeCap/2), true)
	}), nil, "expected exactly 4864"},
	{"memfd without a ring", sendHello(hello(nil), func(f *fakeFds) ([]int, error) {
		return f.memfds(2, shmring.SegmentSize(fakeCap), true)
	}), nil, "segment magic 0x0"},
	{"pipe instead of memfd", sendHello(hello(nil), func(f *fakeFds) ([]int, error) { return f.pipes(2) }),
		nil, "not a regular file"},
	{"Tachyon listener", sendRingsThen(nil),
		conn.ErrNotSession, "a Tachyon listener?"},
	{"session version 1 listener", sendOffer(sessionOffer(1, sessFeatureBells),
		func(f *fakeFds) ([]int, error) { return f.eventfds(4) }),
		conn.ErrNotSession, "session version 1, we speak 2"},
	{"refuses our version", sendHello(refusal(3, 1), nil),
		conn.ErrNotSession, "listener speaks session version 3, we speak 2"},
	{"refuses our uid", sendHello(refusal(sessVersion, 3), nil),
		conn.ErrPeerRefused, "refuses our credentials"},
	{"doorbells are pipes", sendOffer(sessionOffer(sessVersion, sessFeatureBells),
		func(f *fakeFds) ([]int, error) { return f.pipes(2) }),
		conn.ErrNotSession, "not a socket"},
	{"doorbells are eventfds", sendOffer(sessionOffer(sessVersion, sessFeatureBells),
		func(f *fakeFds) ([]int, error) { return f.eventfds(2) }),
		conn.ErrNotSession, "not a socket"},
	{"one doorbell", sendOffer(sessionOffer(sessVersion, sessFeatureBells),
		func(f *fakeFds) ([]int, error) { return f.bells(1) }),
		conn.ErrNotSession, "carried 1 doorbells"},
	{"five doorbells", sendOffer(sessionOffer(sessVersion, sessFeatureBells),
		func(f *fakeFds) ([]int, error) { return f.bells(5) }),
		sys.ErrControlTruncated, "MSG_CTRUNC"},
	{"session version 9", sendOffer(sessionOffer(9, sessFeatureBells),
		func(f *fakeFds) ([]int, error) { return f.bells(2) }),
		conn.ErrNotSession, "session version 9, we speak 2"},
	{"no doorbell feature", sendOffer(sessionOffer(sessVersion, 0),
		func(f *fakeFds) ([]int, error) { return f.bells(2) }),
		conn.ErrNotSession, "does not offer its own doorbells"},
	{"session garbage", sendOffer([]byte("0123456789abcdef"),
		func(f *fakeFds) ([]int, error) { return nil, nil }),
		conn.ErrNotSession, "session magic"},
}

// refusal is a listener's refusal of our hello.
func refusal(version, status uint32) []byte {
	b := sessionOffer(version, 0)
	binary.NativeEndian.PutUint32(b[12:], status)
	return b
}

func TestDialRefusesBadListener(t *testing.T) {
	for _, tc := range fakeListenerCases {
		t.Run(tc.name, func(t *testing.T) {
			err := dialFake(t, tc.fake, 10*time.Second)
			if err == nil {
				t.Fatal("Dial succeeded")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("Dial error %q does not wrap %v", err, tc.is)
			}
			if !strings.Contains(err.Error(), tc.says) {
				t.Errorf("Dial error %q does not say %q", err, tc.says)
			}
			var op *net.OpError
			if !errors.As(err, &op) || op.Op != "dial" {
				t.Errorf("Dial error %T is not a dial *net.OpError", err)
			}
			t.Logf("%v", err)
		})
	}
}

// TestDialTimesOutOnSilentListener: a listener that accepts and says
// nothing holds Dial only as long as its context allows, and the error says
// it timed out. Which error it wraps depends on which timer fires first: the
// context's (context.DeadlineExceeded) or the socket deadline Dial sets from
// it (os.ErrDeadlineExceeded).
func TestDialTimesOutOnSilentListener(t *testing.T) {
	err := dialFake(t, silent, 200*time.Millisecond)
	if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Dial to a silent listener: %v, want a deadline error", err)
	}
}

// TestDialTimeoutIsNetTimeout: whichever timer fires first, the error Dial
// returns is a net.Error whose Timeout() is true, as callers (and the net
// package's own dialers) expect.
func TestDialTimeoutIsNetTimeout(t *testing.T) {
	for i := range 20 {
		err := dialFake(t, silent, 50*time.Millisecond)
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("attempt %d: Dial to a silent listener: %v, Timeout() false", i, err)
		}
	}
}

// silent accepts and says nothing.
func silent(uc *net.UnixConn, _ *fakeFds) error { return waitHangUp(uc) }

// TestDialRefusesTinyRings: shmring accepts rings down to 64 bytes, but
// conn frames a Write in chunks of a quarter ring minus a header, which is
// nothing (or negative) below 512 bytes. Dial must refuse such rings (as
// WithRingSize refuses anything below conn.MinRingSize) rather than make a
// connection whose Write fails or spins.
func TestDialRefusesTinyRings(t *testing.T) {
	for _, size := range []int{64, 128, 256} {
		t.Run(strconv.Itoa(size), func(t *testing.T) {
			c, err := dialTiny(t, size)
			if err == nil {
				c.SetDeadline(time.Now().Add(2 * time.Second))
				_, werr := c.Write([]byte("hello"))
				c.Close()
				t.Fatalf("Dial accepted %d-byte rings; a 5-byte Write on them returned %v", size, werr)
			}
		})
	}
}

// tinyRings is a well-behaved listener offering rings of capacity c.
func tinyRings(c int) fakeListener {
	return func(uc *net.UnixConn, f *fakeFds) error {
		rings, err := f.rings(2, c)
		if err != nil {
			return err
		}
		msg := hello(map[int]uint32{
			hsCapacityFwd: uint32(c), hsShmSizeFwd: uint32(shmring.SegmentSize(c)),
			hsCapacityRev: uint32(c), hsShmSizeRev: uint32(shmring.SegmentSize(c)),
		})
		if err := sys.SendFds(uc, msg, rings...); err != nil {
			return err
		}
		bells, err := f.bells(2)
		if err != nil {
			return err
		}
		if err := sys.SendFds(uc, sessionOffer(sessVersion, sessFeatureBells), bells...); err != nil {
			return err
		}
		var ack [sessionMessageSize]byte
		if _, err := io.ReadFull(uc, ack[:]); err != nil {
			return err
		}
		return waitHangUp(uc)
	}
}

// dialFake serves fake on a fresh socket, dials it with the given bound and
// returns Dial's error, after checking that the attempt (and the fake)
// left this process's descriptors, mappings and goroutines as they were.
func dialFake(t *testing.T, fake fakeListener, timeout time.Duration) error {
	t.Helper()
	c, err := dialFakeConn(t, fake, timeout, false)
	if c != nil {
		c.Close()
		t.Error("Dial succeeded")
	}
	return err
}

// dialTiny dials a well-behaved fake listener whose rings hold c bytes.
func dialTiny(t *testing.T, c int) (*conn.Conn, error) {
	return dialFakeConn(t, tinyRings(c), 10*time.Second, true)
}

func dialFakeConn(t *testing.T, fake fakeListener, timeout time.Duration, keep bool) (*conn.Conn, error) {
	t.Helper()
	path := sockPath(t)
	base := countResources(t)
	ul, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() {
		uc, err := ul.AcceptUnix()
		if err != nil {
			served <- err
			return
		}
		// Every tachyon-go dialer speaks first: read its hello.
		var b [32]byte
		uc.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.ReadFull(uc, b[:]); err != nil {
			uc.Close()
			served <- fmt.Errorf("reading the hello: %w", err)
			return
		}
		uc.SetReadDeadline(time.Time{})
		var f fakeFds
		err = fake(uc, &f)
		f.close()
		uc.Close()
		served <- err
	}()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	c, dialErr := conn.Dial(ctx, path)
	cancel()
	if keep && c != nil {
		return c, dialErr // the fake serves until c closes
	}
	if c != nil {
		c.Close()
	}
	select {
	case err := <-served:
		if err != nil && !errors.Is(err, unix.EPIPE) && !errors.Is(err, unix.ECONNRESET) {
			t.Errorf("fake listener: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("fake listener still running 30 s after Dial returned")
	}
	ul.Close()
	settle(t, base)
	return nil, dialErr
}
