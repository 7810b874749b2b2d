package conn_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/shmring"
)

// Frames with early wrap (conn.WithFramesEarlyWrap) on small rings: every
// frame of a ping-pong and of a stream arrives whole and in order, whether
// the writer went back to the start of the ring or ran on to its end.
func TestFramesEarlyWrap(t *testing.T) {
	a, b, err := conn.Pipe(conn.WithRingSize(4 << 10))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		a.Close()
		b.Close()
	})
	if _, err := a.Frames(conn.WithFramesEarlyWrap(-1)); err == nil {
		t.Fatal("WithFramesEarlyWrap(-1) accepted")
	}
	fa := mustFrames(t, a, conn.WithFramesEarlyWrap(1024))
	fb := mustFrames(t, b, conn.WithFramesEarlyWrap(1024))
	payload := func(i int) []byte { return bytes.Repeat([]byte{byte(i)}, i*37%1500) }
	check := func(f *conn.Frames, i int) {
		t.Helper()
		got, typ := recv(t, f)
		if !bytes.Equal(got, payload(i)) || typ != shmring.MakeTypeID(1, uint16(i)) {
			t.Fatalf("frame %d: %d bytes of type %#x, want %d bytes of type %#x", i, len(got), typ, len(payload(i)), shmring.MakeTypeID(1, uint16(i)))
		}
	}
	for i := range 2000 { // ping-pong: each ring is empty before each frame
		send(t, fa, payload(i), shmring.MakeTypeID(1, uint16(i)))
		check(fb, i)
		send(t, fb, payload(i), shmring.MakeTypeID(1, uint16(i)))
		check(fa, i)
	}
	sent := make(chan error, 1)
	go func() { // a stream: the writer runs ahead while it has room
		for i := range 3000 {
			b, err := fa.Acquire(testCtx(t), len(payload(i)))
			if err != nil {
				sent <- err
				return
			}
			copy(b, payload(i))
			if err := fa.Commit(len(payload(i)), shmring.MakeTypeID(1, uint16(i))); err != nil {
				sent <- err
				return
			}
		}
		sent <- nil
	}()
	for i := range 3000 {
		check(fb, i)
	}
	if err := within(t, sent, 30*time.Second, "the writer"); err != nil {
		t.Fatal(err)
	}
}
