package conn_test

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/internal/peerproc"
)

// Graceful close: every byte written before Close or CloseWrite reaches the
// peer, which then reads a bare io.EOF; a half-closed connection still
// carries the other direction.

func init() {
	peerproc.Register("sink", sinkRole)
}

// closeRing is the ring size of these tests: small, so that the data wraps
// many times and writers block on a full ring.
const closeRing = 4 << 10

// sinkRole listens (args[:3] as every listening role), accepts one
// connection and, on the first "go" signal, reads it to the end; if
// args[3] is not negative it stops after exactly that many bytes, signals,
// and waits for a second "go". At the end it writes the digest of what it
// read back over the connection and reports the count, the digest, the
// final Read error and the write-back error.
func sinkRole(args []string) error {
	pauseAt, err := strconv.ParseInt(args[3], 10, 64)
	if err != nil {
		return err
	}
	l, ctl, err := peerListen(args[:3])
	if err != nil {
		return err
	}
	defer l.Close()
	c, err := l.AcceptConn()
	if err != nil {
		return err
	}
	defer c.Close()
	if err := awaitSignal(ctl, time.Minute); err != nil {
		return err
	}
	h := sha256.New()
	var n int64
	var readErr error
	buf := make([]byte, 32<<10)
	for readErr == nil {
		b := buf
		if pauseAt >= 0 && int64(len(b)) > pauseAt-n {
			b = b[:pauseAt-n]
		}
		var k int
		k, readErr = c.Read(b)
		h.Write(b[:k])
		n += int64(k)
		if n == pauseAt {
			if err := signal(ctl); err != nil {
				return err
			}
			if err := awaitSignal(ctl, time.Minute); err != nil {
				return err
			}
			pauseAt = -1
		}
	}
	r := errReport(readErr)
	r.Bytes, r.Sum = n, hex.EncodeToString(h.Sum(nil))
	if _, err := c.Write([]byte(r.Sum)); err != nil {
		wb := errReport(err)
		r.WriteBack, r.WriteBackErrno = wb.Err, wb.Errno
	}
	return sendReport(ctl, r)
}

// startSink starts a sink peer pausing at pauseAt (-1: never) and dials it.
func startSink(t *testing.T, pauseAt int) (*conn.Conn, *peerproc.Peer, *net.UnixConn) {
	t.Helper()
	path := sockPath(t)
	p, ctl := startRole(t, "sink", []string{path, strconv.Itoa(closeRing), "20µs", strconv.Itoa(pauseAt)}, nil)
	return dial(t, path), p, ctl
}

func randomBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// writeAsync starts c.Write(b); the channel yields its result.
func writeAsync(c *conn.Conn, b []byte) <-chan writeResult {
	ch := make(chan writeResult, 1)
	go func() {
		n, err := c.Write(b)
		ch <- writeResult{n, err}
	}()
	return ch
}

type writeResult struct {
	n   int
	err error
}

// checkSink checks the sink's report: it read exactly want, then bare
// io.EOF.
func checkSink(t *testing.T, r report, want []byte) {
	t.Helper()
	if r.Bytes != int64(len(want)) || r.Sum != digest(want) {
		t.Errorf("peer read %d bytes (sha256 %.12s…), want %d (%.12s…)", r.Bytes, r.Sum, len(want), digest(want))
	}
	if !r.EOF {
		t.Errorf("peer's last Read returned %q, want bare io.EOF", r.Err)
	}
}

// TestCloseDeliversRing: a long Write that blocked on the full ring many
// times, then a second Write that leaves half a ring unread, then Close at
// once: the reader (another process) still gets every byte, then io.EOF.
func TestCloseDeliversRing(t *testing.T) {
	data := randomBytes(t, 16*closeRing+1234+closeRing/2)
	first, last := data[:len(data)-closeRing/2], data[len(data)-closeRing/2:]
	c, p, ctl := startSink(t, len(first))
	wrote := writeAsync(c, first)
	poll(t, 10*time.Second, "the write to block on the full ring", func() bool { return parks(c, true) > 0 })
	mustSignal(t, ctl) // the sink reads exactly the first Write and pauses
	mustAwait(t, ctl)
	select {
	case w := <-wrote:
		if w.err != nil || w.n != len(first) {
			t.Fatalf("Write = %d, %v; want %d, nil", w.n, w.err, len(first))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Write still blocked after the peer read all of it")
	}
	c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if n, err := c.Write(last); n != len(last) || err != nil {
		t.Fatalf("Write into the drained ring = %d, %v", n, err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	mustSignal(t, ctl) // the sink reads the rest from the closed writer's ring
	r := readReport(t, ctl, 30*time.Second)
	checkSink(t, r, data)
	if r.WriteBackErrno != int(syscall.EPIPE) {
		t.Errorf("peer's write to us after our Close: %q, want EPIPE", r.WriteBack)
	}
	if err := p.Wait(10 * time.Second); err != nil {
		t.Errorf("sink: %v", err)
	}
}

// TestCloseWhileWriteBlocked: Close ends a Write blocked on a full ring;
// the peer reads exactly the bytes that Write reports written, then EOF.
func TestCloseWhileWriteBlocked(t *testing.T) {
	data := randomBytes(t, 16*closeRing)
	c, p, ctl := startSink(t, -1)
	wrote := writeAsync(c, data)
	poll(t, 10*time.Second, "the write to block on the full ring", func() bool { return parks(c, true) > 0 })
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	var w writeResult
	select {
	case w = <-wrote:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end the blocked Write")
	}
	if !errors.Is(w.err, net.ErrClosed) || w.n <= 0 || w.n >= len(data) {
		t.Fatalf("blocked Write ended by Close = %d, %v; want a partial count and net.ErrClosed", w.n, w.err)
	}
	mustSignal(t, ctl)
	checkSink(t, readReport(t, ctl, 30*time.Second), data[:w.n])
	if err := p.Wait(10 * time.Second); err != nil {
		t.Errorf("sink: %v", err)
	}
}

// TestCloseWriteHalfClose: after CloseWrite the peer reads everything and
// io.EOF, then writes back to us, and we read that and io.EOF.
func TestCloseWriteHalfClose(t *testing.T) {
	data := randomBytes(t, 8*closeRing+5)
	c, p, ctl := startSink(t, -1)
	defer c.Close()
	mustSignal(t, ctl)
	c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := c.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := c.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	if err := c.CloseWrite(); err != nil {
		t.Errorf("second CloseWrite: %v", err)
	}
	if _, err := c.Write([]byte("late")); !errors.Is(err, syscall.EPIPE) {
		t.Errorf("Write after CloseWrite: %v, want EPIPE", err)
	}
	back := make([]byte, 2*sha256.Size)
	if _, err := io.ReadFull(c, back); err != nil {
		t.Fatalf("reading the peer's answer after our CloseWrite: %v", err)
	}
	if string(back) != digest(data) {
		t.Errorf("peer answered %s, want %s", back, digest(data))
	}
	if n, err := c.Read(make([]byte, 8)); n != 0 || err != io.EOF {
		t.Errorf("Read after the peer closed = %d, %v; want 0, io.EOF", n, err)
	}
	r := readReport(t, ctl, 30*time.Second)
	checkSink(t, r, data)
	if r.WriteBack != "" {
		t.Errorf("peer could not write back after reading our EOF: %s", r.WriteBack)
	}
	if err := p.Wait(10 * time.Second); err != nil {
		t.Errorf("sink: %v", err)
	}
}

// TestCloseWriteEndsBlockedWrite: CloseWrite while another goroutine's
// Write waits for room ends that Write (EPIPE, as shutdown(2) does to a
// socket) instead of waiting for the peer to read.
func TestCloseWriteEndsBlockedWrite(t *testing.T) {
	c, _ := connToHeldPeer(t, true)
	defer c.Close()
	wrote, err := blockIn(c, true)
	if err != nil {
		t.Fatal(err)
	}
	closed := make(chan error, 1)
	go func() { closed <- c.CloseWrite() }()
	if err := within(t, closed, 5*time.Second, "CloseWrite beside a blocked Write"); err != nil {
		t.Errorf("CloseWrite: %v", err)
	}
	if err := within(t, wrote, 5*time.Second, "Write after CloseWrite"); !errors.Is(err, syscall.EPIPE) {
		t.Errorf("blocked Write ended by CloseWrite: %v, want EPIPE", err)
	}
}
