package bus_test

// Golden byte tests: the exact bytes this package puts on the wire and in
// shared memory, compared with files in testdata/golden written by hand from
// the specification (each file and ABI.md §6 give the derivation). Run them
// alone with
//
//	go test -run 'Golden|Interop' ./...

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/bus"
	"github.com/tachyon-ipc/tachyon-go/bus/tachyontest"
	"github.com/tachyon-ipc/tachyon-go/internal/handshake"
	"github.com/tachyon-ipc/tachyon-go/shmring"
)

// readGolden parses a golden file: hex bytes separated by spaces, "XX*N"
// for a run of N bytes XX, "#" to the end of a line is a comment.
func readGolden(t *testing.T, name string) []byte {
	t.Helper()
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Skip("golden files are little-endian")
	}
	text, err := os.ReadFile(filepath.Join("testdata", "golden", name))
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	for ln, line := range strings.Split(string(text), "\n") {
		line, _, _ = strings.Cut(line, "#")
		for _, tok := range strings.Fields(line) {
			hex, rep, found := strings.Cut(tok, "*")
			n := 1
			if found {
				if n, err = strconv.Atoi(rep); err != nil {
					t.Fatalf("%s:%d: %q", name, ln+1, tok)
				}
			}
			v, err := strconv.ParseUint(hex, 16, 8)
			if err != nil {
				t.Fatalf("%s:%d: %q", name, ln+1, tok)
			}
			out = append(out, bytes.Repeat([]byte{byte(v)}, n)...)
		}
	}
	return out
}

// compareGolden reports every byte that differs from the golden file.
func compareGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	want := readGolden(t, name)
	if bytes.Equal(got, want) {
		return
	}
	var diff strings.Builder
	if len(got) != len(want) {
		fmt.Fprintf(&diff, "\n  length %d, golden %d", len(got), len(want))
	}
	shown := 0
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] && shown < 16 {
			fmt.Fprintf(&diff, "\n  offset %3d: got %02x, golden %02x", i, got[i], want[i])
			shown++
		}
	}
	t.Errorf("bytes differ from testdata/golden/%s:%s", name, diff.String())
}

func goldenCtx(t *testing.T) (context.Context, time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	dl, _ := ctx.Deadline()
	return ctx, dl
}

// inBackground runs listen (a bus.Listen…) in a goroutine and returns a
// function that waits for its bus, once a peer has connected, and closes it
// at cleanup.
func inBackground[B interface{ Close() error }](t *testing.T, listen func() (B, error)) func() B {
	ch := make(chan B, 1)
	errc := make(chan error, 1)
	go func() {
		b, err := listen()
		ch <- b
		errc <- err
	}()
	return func() B {
		b := <-ch
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		return b
	}
}

func listenPlain(t *testing.T, ctx context.Context, path string, capacity int) func() *bus.Bus {
	return inBackground(t, func() (*bus.Bus, error) { return bus.ListenContext(ctx, path, capacity) })
}

func listenRPC(t *testing.T, ctx context.Context, path string, capFwd, capRev int) func() *bus.RPCBus {
	return inBackground(t, func() (*bus.RPCBus, error) { return bus.ListenRPCContext(ctx, path, capFwd, capRev) })
}

func TestGoldenHandshakePlain(t *testing.T) {
	ctx, dl := goldenCtx(t)
	path := sockPath(t)
	wait := listenPlain(t, ctx, path, 1<<16)
	hello, fds, err := tachyontest.Connect(path, dl)
	if err != nil {
		t.Fatal(err)
	}
	wait()
	for _, fd := range fds {
		tachyontest.Join(fd, shmring.SegmentSize(1<<16)) // takes and releases the fd
	}
	if len(fds) != 1 {
		t.Errorf("%d memfds with a plain handshake", len(fds))
	}
	compareGolden(t, "handshake-plain.hex", hello[:])

	m := handshake.Hello{CapacityFwd: 1 << 16}.Marshal()
	compareGolden(t, "handshake-plain.hex", m[:])
	h, err := handshake.Parse(readGolden(t, "handshake-plain.hex"))
	if err != nil || h != (handshake.Hello{CapacityFwd: 1 << 16}) {
		t.Errorf("Parse(golden) = %+v, %v", h, err)
	}
}

func TestGoldenHandshakeRPC(t *testing.T) {
	ctx, dl := goldenCtx(t)
	path := sockPath(t)
	wait := listenRPC(t, ctx, path, 1<<16, 1<<12)
	hello, fds, err := tachyontest.Connect(path, dl)
	if err != nil {
		t.Fatal(err)
	}
	wait()
	if len(fds) != 2 {
		t.Errorf("%d memfds with an RPC handshake", len(fds))
	}
	// fds are [fwd, rev]: their control blocks say which is which.
	for i, capacity := range []int{1 << 16, 1 << 12} {
		if i < len(fds) {
			r, err := tachyontest.Join(fds[i], shmring.SegmentSize(capacity))
			if err != nil || r.Capacity() != capacity {
				t.Errorf("memfd %d: %v", i, err)
			}
			if r != nil {
				r.Close()
			}
		}
	}
	compareGolden(t, "handshake-rpc.hex", hello[:])

	want := handshake.Hello{CapacityFwd: 1 << 16, CapacityRev: 1 << 12, TwoRing: true}
	m := want.Marshal()
	compareGolden(t, "handshake-rpc.hex", m[:])
	h, err := handshake.Parse(readGolden(t, "handshake-rpc.hex"))
	if err != nil || h != want {
		t.Errorf("Parse(golden) = %+v, %v", h, err)
	}
}

func TestGoldenControlBlock(t *testing.T) {
	ctx, dl := goldenCtx(t)
	path := sockPath(t)
	wait := listenPlain(t, ctx, path, 1<<16)
	r, err := tachyontest.ConnectBus(path, dl)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	wait()
	compareGolden(t, "control-block.hex", r.Mem()[:shmring.ControlSize])
}

func TestGoldenFrameHeaderPlain(t *testing.T) {
	ctx, dl := goldenCtx(t)
	path := sockPath(t)
	wait := listenPlain(t, ctx, path, 1<<16)
	r, err := tachyontest.ConnectBus(path, dl)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	p, err := wait().Producer()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Send(ctx, shmring.MakeTypeID(0, 1), []byte("hello tachyon")); err != nil {
		t.Fatal(err)
	}
	data := r.Mem()[shmring.ControlSize:]
	compareGolden(t, "frame-header-plain.hex", data[:shmring.HeaderSize])
	if string(data[64:77]) != "hello tachyon" {
		t.Errorf("payload %q", data[64:77])
	}
}

func TestGoldenFrameHeaderRPC(t *testing.T) {
	ctx, dl := goldenCtx(t)
	path := sockPath(t)
	wait := listenRPC(t, ctx, path, 1<<16, 1<<16)
	rb, err := tachyontest.ConnectRPC(path, dl)
	if err != nil {
		t.Fatal(err)
	}
	defer rb.Close()
	c, err := wait().Caller()
	if err != nil {
		t.Fatal(err)
	}
	if id, err := c.Call(ctx, 1, []byte("hello tachyon")); err != nil || id != 1 {
		t.Fatalf("first call: id %d, %v", id, err)
	}
	compareGolden(t, "frame-header-rpc.hex", rb.Fwd.Mem()[shmring.ControlSize:][:shmring.HeaderSize])
}

func TestGoldenWrapMarker(t *testing.T) {
	ctx, dl := goldenCtx(t)
	path := sockPath(t)
	wait := listenPlain(t, ctx, path, 8192)
	r, err := tachyontest.ConnectBus(path, dl)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	p, err := wait().Producer()
	if err != nil {
		t.Fatal(err)
	}
	c := tachyontest.NewConsumer(r)
	payload := make([]byte, 128) // a 192-byte slot; 42 of them end at 8064
	for i := range 43 {
		if err := p.Send(ctx, shmring.TypeID(i), payload); err != nil {
			t.Fatal(err)
		}
		if i < 42 {
			if _, err := c.AcquireBlocking(false, 0, dl); err != nil {
				t.Fatal(err)
			}
			c.Commit() // the 32nd commit publishes the tail and makes room
		}
	}
	compareGolden(t, "wrap-marker.hex", r.Mem()[shmring.ControlSize+8064:][:shmring.HeaderSize])
	f, err := c.AcquireBlocking(false, 0, dl)
	if err != nil || f.TypeID != 42 || &f.Header[0] != &r.Mem()[shmring.ControlSize] {
		t.Errorf("frame after the marker: %v, type %d", err, f.TypeID)
	}
}
