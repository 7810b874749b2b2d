package conn

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"testing"
	"time"
)

// onlyReader hides a reader's WriterTo, so io.Copy must use Conn.ReadFrom.
type onlyReader struct{ io.Reader }

// onlyWriter hides a writer's ReaderFrom, so io.Copy must use Conn.WriteTo.
type onlyWriter struct{ io.Writer }

func TestIOCopyBothWaysZeroCopy(t *testing.T) {
	for _, size := range []int{MinRingSize, 1 << 20} {
		a, b, err := Pipe(WithRingSize(size))
		if err != nil {
			t.Fatal(err)
		}
		data := make([]byte, 3<<20+17)
		rng := rand.New(rand.NewPCG(1, uint64(size)))
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		errc := make(chan error, 1)
		go func() {
			n, err := io.Copy(a, onlyReader{bytes.NewReader(data)}) // Conn.ReadFrom
			if err == nil && n != int64(len(data)) {
				err = io.ErrShortWrite
			}
			if err == nil {
				err = a.CloseWrite()
			}
			errc <- err
		}()
		b.SetReadDeadline(time.Now().Add(30 * time.Second))
		var got bytes.Buffer
		if _, err := io.Copy(onlyWriter{&got}, b); err != nil { // Conn.WriteTo, ends at EOF
			t.Fatal(err)
		}
		if err := within(t, errc, "the ReadFrom side"); err != nil {
			t.Fatal(err)
		}
		if sha256.Sum256(got.Bytes()) != sha256.Sum256(data) {
			t.Fatalf("ring %d: %d bytes arrived, content differs", size, got.Len())
		}
		a.Close()
		b.Close()
	}
}

// stuckWriter blocks in Write until released.
type stuckWriter struct {
	entered chan struct{}
	release chan struct{}
}

func (w *stuckWriter) Write(p []byte) (int, error) {
	close(w.entered)
	<-w.release
	return 0, errors.New("released")
}

func TestCloseDoesNotWaitForStuckWriteTo(t *testing.T) {
	a, b, err := Pipe(WithRingSize(MinRingSize))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	w := &stuckWriter{entered: make(chan struct{}), release: make(chan struct{})}
	done := make(chan error, 1)
	go func() {
		_, err := b.WriteTo(w)
		done <- err
	}()
	if _, err := a.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	within(t, w.entered, "WriteTo to call its writer")
	closed := make(chan struct{})
	go func() {
		b.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close waited for a WriteTo stuck in its io.Writer")
	}
	if _, err := b.Read(make([]byte, 1)); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Read after Close: %v", err)
	}
	close(w.release)
	if err := within(t, done, "WriteTo to return"); err == nil {
		t.Fatal("WriteTo returned nil after its writer failed")
	}
	// The side released on WriteTo's way out: the peer's writer sees EPIPE.
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := a.Write(bytes.Repeat([]byte{1}, 64))
		if err != nil {
			if !errors.Is(err, errEPIPE) {
				t.Fatalf("write to a closed peer: %v", err)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("peer never saw the reading side released")
		}
	}
}

var errEPIPE = syscallEPIPE()
