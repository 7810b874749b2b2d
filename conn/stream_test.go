package conn_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/conn"
)

// Byte-stream semantics beyond nettest: whole Writes stay contiguous under
// concurrency, empty calls, use after Close, room freed by reading.

// pairMakers give a connected pair in-process (Pipe) and across a relay
// process, both with a 4 KiB ring so that every Write of these tests is
// split into many frames.
var pairMakers = []struct {
	name string
	make func(t *testing.T) (a, b *conn.Conn, stop func())
}{
	{"pipe", func(t *testing.T) (a, b *conn.Conn, stop func()) {
		a, b, err := conn.Pipe(conn.WithRingSize(4 << 10))
		if err != nil {
			t.Fatal(err)
		}
		return a, b, func() { a.Close(); b.Close() }
	}},
	{"relay", func(t *testing.T) (a, b *conn.Conn, stop func()) {
		return relayPair(t, 4<<10, 20*time.Microsecond)
	}},
}

// TestConcurrentWritesContiguous: many goroutines Write blocks of three
// rings' worth on one connection at once; each block must arrive in one
// piece. Block k is filled with the byte k, so any interleaving shows as a
// run of the wrong length.
func TestConcurrentWritesContiguous(t *testing.T) {
	const writers, perWriter = 8, 4
	const blockLen = 3*(4<<10) + 17
	for _, pm := range pairMakers {
		t.Run(pm.name, func(t *testing.T) {
			a, b, stop := pm.make(t)
			defer stop()
			a.SetDeadline(time.Now().Add(60 * time.Second))
			b.SetDeadline(time.Now().Add(60 * time.Second))
			var wg sync.WaitGroup
			for w := range writers {
				wg.Go(func() {
					for i := range perWriter {
						block := bytes.Repeat([]byte{byte(1 + w*perWriter + i)}, blockLen)
						if n, err := a.Write(block); n != blockLen || err != nil {
							t.Errorf("Write = %d, %v", n, err)
							return
						}
					}
				})
			}
			got := make([]byte, writers*perWriter*blockLen)
			_, err := io.ReadFull(b, got)
			wg.Wait()
			if err != nil {
				t.Fatal(err)
			}
			seen := map[byte]bool{}
			for len(got) > 0 {
				k := got[0]
				run := len(got) - len(bytes.TrimLeft(got, string([]byte{k})))
				if run != blockLen || seen[k] {
					t.Fatalf("block %d arrived as a run of %d bytes (want %d), seen before: %v", k, run, blockLen, seen[k])
				}
				seen[k] = true
				got = got[run:]
			}
		})
	}
}

// TestEmptyCalls: Read(nil) and Write(nil) return 0, nil at once, and do
// not disturb data in flight.
func TestEmptyCalls(t *testing.T) {
	a, b, err := conn.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	defer b.Close()
	if n, err := b.Read(nil); n != 0 || err != nil {
		t.Errorf("Read(nil) on an empty ring = %d, %v; want 0, nil", n, err)
	}
	if n, err := a.Write(nil); n != 0 || err != nil {
		t.Errorf("Write(nil) = %d, %v; want 0, nil", n, err)
	}
	if _, err := a.Write([]byte("abc")); err != nil {
		t.Fatal(err)
	}
	if n, err := b.Read([]byte{}); n != 0 || err != nil {
		t.Errorf("Read of zero bytes with data ready = %d, %v; want 0, nil", n, err)
	}
	b.SetReadDeadline(time.Now().Add(10 * time.Second))
	got := make([]byte, 3)
	if _, err := io.ReadFull(b, got); err != nil || string(got) != "abc" {
		t.Errorf("after the empty calls read %q, %v; want abc", got, err)
	}
}

// TestUseAfterClose: every call after Close fails with a *net.OpError
// wrapping net.ErrClosed; a second Close is harmless.
func TestUseAfterClose(t *testing.T) {
	a, b, err := conn.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := a.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	calls := map[string]func() error{
		"Read":             func() error { _, err := a.Read(make([]byte, 1)); return err },
		"Read(nil)":        func() error { _, err := a.Read(nil); return err },
		"Write":            func() error { _, err := a.Write([]byte("x")); return err },
		"SetDeadline":      func() error { return a.SetDeadline(time.Now()) },
		"SetReadDeadline":  func() error { return a.SetReadDeadline(time.Now()) },
		"SetWriteDeadline": func() error { return a.SetWriteDeadline(time.Now()) },
		"CloseWrite":       a.CloseWrite,
		"second Close":     a.Close,
	}
	for name, call := range calls {
		err := call()
		var op *net.OpError
		if !errors.Is(err, net.ErrClosed) || !errors.As(err, &op) {
			t.Errorf("%s after Close: %v (%T), want a *net.OpError wrapping net.ErrClosed", name, err, err)
		}
	}
	if a.LocalAddr() == nil || a.RemoteAddr() == nil {
		t.Error("addresses gone after Close")
	}
	if tx, rx := a.Stats(); tx.Frames != 0 || rx.Frames != 0 {
		t.Errorf("Stats after Close = %+v %+v, want zero", tx, rx)
	}
	// The other end sees a graceful close.
	b.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := b.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Errorf("peer's Read after Close = %d, %v; want 0, io.EOF", n, err)
	}
	if _, err := b.Write([]byte("x")); !errors.Is(err, errEPIPE) {
		t.Errorf("peer's Write after Close: %v, want EPIPE", err)
	}
}

// TestReadFreesRoom: bytes the reader has consumed are room for the writer
// as soon as its Read returns, even if the reader then stops reading with
// data still buffered (as a stream socket's window opens). The writer's
// last Write needs less room than the reader freed.
func TestReadFreesRoom(t *testing.T) {
	const ring = 4 << 10
	for i := range 20 {
		a, b, err := conn.Pipe(conn.WithRingSize(ring))
		if err != nil {
			t.Fatal(err)
		}
		data := make([]byte, 16*ring)
		wrote := make(chan error, 1)
		go func() { _, err := a.Write(data); wrote <- err }()
		b.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.ReadFull(b, make([]byte, len(data)-ring/4)); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-wrote:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(5 * time.Second):
			tx, _ := a.Stats()
			_, rx := b.Stats()
			t.Fatalf("round %d: the writer is still blocked 5 s after the reader freed %d bytes; writer %+v, reader %+v",
				i, len(data)-ring/4, tx, rx)
		}
		a.Close()
		b.Close()
	}
}

// TestPeerCloseEndsBlockedWrite: a Write waiting for room fails with EPIPE
// as soon as the peer closes without reading.
func TestPeerCloseEndsBlockedWrite(t *testing.T) {
	a, b, err := conn.Pipe(conn.WithRingSize(4 << 10))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	wrote, err := blockIn(a, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := within(t, wrote, 5*time.Second, "Write to a peer that closed"); !errors.Is(err, errEPIPE) {
		t.Errorf("blocked Write after the peer closed: %v, want EPIPE", err)
	}
}
