package bus_test

import (
	"errors"
	"testing"

	"github.com/tachyon-ipc/tachyon-go/bus/tachyontest"
	"github.com/tachyon-ipc/tachyon-go/internal/sys"
	"github.com/tachyon-ipc/tachyon-go/shmring"
)

// TestInteropWrapMarkerNeverAlone pins the rule of ABI.md §6 that a
// producer for a Tachyon consumer never publishes a wrap marker without the
// frame after it: Tachyon's consumer skips the marker and reads the header
// at offset 0 at once, which would be a stale frame.
func TestInteropWrapMarkerNeverAlone(t *testing.T) {
	for _, tachyonWrap := range []bool{true, false} {
		r, err := shmring.Create("tachyon-go-test", 4096)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		var opts []shmring.Option
		if tachyonWrap {
			opts = append(opts, shmring.WithTachyonWrap())
		}
		p, err := r.Producer(opts...)
		if err != nil {
			t.Fatal(err)
		}
		fd, err := sys.Dup(r.Fd())
		if err != nil {
			t.Fatal(err)
		}
		tr, err := tachyontest.Join(fd, shmring.SegmentSize(4096))
		if err != nil {
			t.Fatal(err)
		}
		defer tr.Close()
		c := tachyontest.NewConsumer(tr)
		// 21 slots of 192 bytes leave 64 bytes before the end; a 1-byte
		// frame (a 128-byte slot) must wrap and finds no room.
		for i := range 21 {
			b, err := p.Acquire(128)
			if err != nil {
				t.Fatal(err)
			}
			b[0] = byte(i)
			p.Commit(128, shmring.TypeID(i))
		}
		if _, err := p.Acquire(1); !errors.Is(err, shmring.ErrFull) {
			t.Fatalf("Acquire on a full ring: %v", err)
		}
		for i := range 21 {
			f, ok := c.Acquire()
			if !ok || f.TypeID != uint32(i) || f.Payload[0] != byte(i) {
				t.Fatalf("frame %d: %v %+v", i, ok, f)
			}
			c.Commit()
		}
		f, ok := c.Acquire()
		switch {
		case tachyonWrap && ok:
			t.Fatalf("with WithTachyonWrap a Tachyon consumer read a frame nobody sent: type %d", f.TypeID)
		case !tachyonWrap:
			// Why the option exists: shmring's default eager marker is
			// published alone, and Tachyon's consumer misreads it.
			t.Logf("default producer: Tachyon consumer read a stale frame: %v", ok)
		}
	}
}
