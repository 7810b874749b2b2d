package conn_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/shmring"
)

// Frame mode within one process (conn.Pipe maps the rings twice, as two
// processes would): the API's rules. frames_proc_test.go crosses processes.

// framesPipe returns both ends of a Pipe in frame mode, closed when the
// test ends.
func framesPipe(t testing.TB, opts ...conn.Option) (client, server *conn.Frames) {
	t.Helper()
	a, b, err := conn.Pipe(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		a.Close()
		b.Close()
	})
	return mustFrames(t, a), mustFrames(t, b)
}

func mustFrames(t testing.TB, c *conn.Conn, opts ...conn.FramesOption) *conn.Frames {
	t.Helper()
	f, err := c.Frames(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// testCtx bounds one test's waits; it is never what a test expects to end
// a call.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// send commits one frame with a copy of payload.
func send(t testing.TB, f *conn.Frames, payload []byte, typ shmring.TypeID) {
	t.Helper()
	b, err := f.Acquire(testCtx(t), len(payload))
	if err != nil {
		t.Fatal(err)
	}
	copy(b, payload)
	if err := f.Commit(len(payload), typ); err != nil {
		t.Fatal(err)
	}
}

// recv returns a copy of the next frame and releases it.
func recv(t testing.TB, f *conn.Frames) ([]byte, shmring.TypeID) {
	t.Helper()
	fr, err := f.Next(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	b := bytes.Clone(fr.Payload)
	if err := f.Release(); err != nil {
		t.Fatal(err)
	}
	return b, fr.Type
}

func TestFramesRoundTrip(t *testing.T) {
	a, b := framesPipe(t, conn.WithRingSize(4<<10))
	msgs := []string{"", "one", "", strings.Repeat("x", 3000), "last"}
	go func() {
		for i, m := range msgs {
			send(t, a, []byte(m), shmring.MakeTypeID(7, uint16(i)))
		}
		a.Conn().Close()
	}()
	for i, m := range msgs {
		got, typ := recv(t, b)
		if string(got) != m || typ != shmring.MakeTypeID(7, uint16(i)) {
			t.Fatalf("frame %d: %d bytes of type %#x, want %d bytes of type %#x", i, len(got), typ, len(m), shmring.MakeTypeID(7, uint16(i)))
		}
	}
	for range 2 {
		if _, err := b.Next(testCtx(t)); err != io.EOF {
			t.Fatalf("after the last frame: %v, want bare io.EOF", err)
		}
	}
}

// Bytes and frames do not mix on one end, whichever comes first, and the
// errors say so.
func TestFramesMixingRefused(t *testing.T) {
	t.Run("bytes first", func(t *testing.T) {
		a, b, _ := conn.Pipe()
		defer a.Close()
		defer b.Close()
		if _, err := a.Write([]byte("x")); err != nil {
			t.Fatal(err)
		}
		_, err := a.Frames()
		if !errors.Is(err, conn.ErrByteMode) {
			t.Fatalf("Frames after Write: %v, want ErrByteMode", err)
		}
		t.Log(err)
		if _, err := b.Read(make([]byte, 1)); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Frames(); !errors.Is(err, conn.ErrByteMode) {
			t.Fatalf("Frames after Read: %v, want ErrByteMode", err)
		}
	})
	t.Run("frames first", func(t *testing.T) {
		a, b, _ := conn.Pipe()
		defer a.Close()
		defer b.Close()
		f := mustFrames(t, a)
		calls := map[string]func() error{
			"Read":     func() error { _, err := a.Read(make([]byte, 1)); return err },
			"Write":    func() error { _, err := a.Write([]byte("x")); return err },
			"WriteTo":  func() error { _, err := a.WriteTo(io.Discard); return err },
			"ReadFrom": func() error { _, err := a.ReadFrom(strings.NewReader("x")); return err },
		}
		for name, call := range calls {
			err := call()
			var op *net.OpError
			if !errors.Is(err, conn.ErrFrameMode) || !errors.As(err, &op) {
				t.Errorf("%s in frame mode: %v, want a *net.OpError wrapping ErrFrameMode", name, err)
			}
		}
		if again, err := a.Frames(); again != f || err != nil {
			t.Errorf("second Frames: %p, %v; want the same %p", again, err, f)
		}
		if _, err := a.Frames(conn.WithPublishEvery(4)); err == nil {
			t.Error("options on a second Frames call accepted")
		}
	})
}

// A byte-stream peer sees the payloads concatenated; a byte-stream writer
// sends frames of type 0 that carry its bytes in order.
func TestFramesByteStreamPeer(t *testing.T) {
	a, b, err := conn.Pipe(conn.WithRingSize(4 << 10))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	defer b.Close()
	fa := mustFrames(t, a)
	want := []byte(strings.Repeat("0123456789", 1000))
	go func() {
		for rest := want; len(rest) > 0; {
			n := min(len(rest), 777)
			send(t, fa, rest[:n], 9)
			send(t, fa, nil, 9) // vanishes
			rest = rest[n:]
		}
		a.CloseWrite()
	}()
	got, err := io.ReadAll(b)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("byte reader got %d bytes (%v), want the %d payload bytes", len(got), err, len(want))
	}

	go func() {
		b.Write(want)
		b.Close()
	}()
	var back []byte
	for {
		fr, err := fa.Next(testCtx(t))
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if fr.Type != 0 {
			t.Fatalf("a Write arrived as a frame of type %d", fr.Type)
		}
		back = append(back, fr.Payload...)
		fa.Release()
	}
	if !bytes.Equal(back, want) {
		t.Fatalf("frames carry %d bytes, want the %d written", len(back), len(want))
	}
}

func TestFramesZeroLength(t *testing.T) {
	a, b := framesPipe(t, conn.WithRingSize(4<<10))
	// More empty frames than the ring holds slots: the sender blocks and
	// the receiver frees room.
	const n = 500
	go func() {
		for i := range n {
			send(t, a, nil, shmring.TypeID(i))
		}
	}()
	for i := range n {
		got, typ := recv(t, b)
		if len(got) != 0 || typ != shmring.TypeID(i) {
			t.Fatalf("frame %d: %d bytes of type %d", i, len(got), typ)
		}
	}
}

// Drain takes every published frame at once, and one Release frees them.
func TestFramesDrain(t *testing.T) {
	a, b := framesPipe(t, conn.WithRingSize(64<<10))
	for i := range 10 {
		send(t, a, []byte{byte(i)}, shmring.TypeID(i))
	}
	batch := make([]shmring.Frame, 16)
	n, err := b.Drain(testCtx(t), batch)
	if n != 10 || err != nil {
		t.Fatalf("Drain = %d, %v; want the 10 frames published", n, err)
	}
	for i, fr := range batch[:n] {
		if fr.Type != shmring.TypeID(i) || len(fr.Payload) != 1 || fr.Payload[0] != byte(i) {
			t.Fatalf("frame %d of the batch: %v", i, fr)
		}
	}
	if err := b.Release(); err != nil {
		t.Fatal(err)
	}
	if n, err := b.Drain(testCtx(t), nil); n != 0 || err != nil {
		t.Fatalf("Drain into no room: %d, %v", n, err)
	}
}

// With WithPublishEvery, commits are published in batches, by Flush, or
// after the flush delay.
func TestFramesPublishEvery(t *testing.T) {
	a, b, err := conn.Pipe(conn.WithRingSize(64 << 10))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	defer b.Close()
	if _, err := a.Frames(conn.WithPublishEvery(0)); err == nil {
		t.Fatal("WithPublishEvery(0) accepted")
	}
	fa := mustFrames(t, a, conn.WithPublishEvery(8), conn.WithFlushDelay(time.Hour))
	fb := mustFrames(t, b)
	for i := range 5 {
		send(t, fa, []byte{byte(i)}, 1)
	}
	expired, cancel := context.WithDeadline(context.Background(), time.Unix(1, 0))
	defer cancel()
	if _, err := fb.Next(expired); !isTimeout(err) {
		t.Fatalf("5 of 8 batched frames: Next = %v, want nothing published", err)
	}
	if err := fa.Flush(); err != nil {
		t.Fatal(err)
	}
	if n, err := fb.Drain(testCtx(t), make([]shmring.Frame, 8)); n != 5 || err != nil {
		t.Fatalf("after Flush: Drain = %d, %v; want 5", n, err)
	}
	fb.Release()

	// The flush delay publishes what an idle sender left.
	fa2, fb2 := framesPipeOpts(t, []conn.FramesOption{conn.WithPublishEvery(8), conn.WithFlushDelay(time.Millisecond)})
	send(t, fa2, []byte("idle"), 2)
	if got, _ := recv(t, fb2); string(got) != "idle" {
		t.Fatalf("got %q", got)
	}
}

func framesPipeOpts(t testing.TB, fopts []conn.FramesOption) (client, server *conn.Frames) {
	a, b, err := conn.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		a.Close()
		b.Close()
	})
	return mustFrames(t, a, fopts...), mustFrames(t, b)
}

func TestFramesTypedViews(t *testing.T) {
	a, b := framesPipe(t, conn.WithRingSize(64<<10))
	v, err := conn.AcquireView[float64](testCtx(t), a, 100)
	if err != nil {
		t.Fatal(err)
	}
	for i := range v {
		v[i] = float64(i)
	}
	if err := conn.CommitView(a, v[:10], 3); err != nil {
		t.Fatal(err)
	}
	fr, err := b.Next(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	got, err := shmring.View[float64](fr)
	if err != nil || len(got) != 10 || got[9] != 9 || fr.Type != 3 {
		t.Fatalf("View = %v, %v (type %d)", got, err, fr.Type)
	}
	b.Release()
	_, err = conn.AcquireView[uint64](testCtx(t), a, a.MaxPayload()/8+1)
	if !errors.Is(err, shmring.ErrTooLarge) {
		t.Fatalf("a view larger than the ring: %v, want ErrTooLarge", err)
	}
}

// A frame larger than the ring fails at once, for good, naming the limit;
// the connection stays usable and the largest frame goes through.
func TestFramesTooLarge(t *testing.T) {
	a, b := framesPipe(t, conn.WithRingSize(4<<10))
	limit := a.MaxPayload()
	_, err := a.Acquire(testCtx(t), limit+1)
	var tl *shmring.TooLargeError
	if !errors.As(err, &tl) || tl.Max != limit || tl.Size != limit+1 {
		t.Fatalf("Acquire(%d): %v, want a *shmring.TooLargeError with Max %d", limit+1, err, limit)
	}
	if !strings.Contains(err.Error(), "4032") {
		t.Errorf("error %q does not name the limit", err)
	}
	send(t, a, bytes.Repeat([]byte{0xab}, limit), 1)
	if got, _ := recv(t, b); len(got) != limit {
		t.Fatalf("largest frame arrived with %d bytes", len(got))
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	var op *net.OpError
	return errors.Is(err, os.ErrDeadlineExceeded) && errors.As(err, &ne) && ne.Timeout() && errors.As(err, &op)
}

// fillRing commits one frame that takes the whole ring: the next Acquire
// waits until the peer releases it.
func fillRing(t testing.TB, f *conn.Frames) {
	t.Helper()
	send(t, f, make([]byte, f.MaxPayload()), 0)
}
