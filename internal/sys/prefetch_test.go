package sys

import (
	"testing"
	"unsafe"
)

// PrefetchStore is a hint: the lines it asks for keep their bytes, up to
// the last pair of a buffer. The test runs the hand-encoded instructions
// (a wrong encoding faults or, as when its first one was swapped for a
// one-byte store by hand, changes a byte and fails here).
func TestPrefetchStoreChangesNothing(t *testing.T) {
	buf := make([]byte, 4096)
	for i := range buf {
		buf[i] = byte(i * 7)
	}
	for off := 0; off+128 <= len(buf); off += 64 {
		PrefetchStore(unsafe.Pointer(&buf[off]))
	}
	for i := range buf {
		if buf[i] != byte(i*7) {
			t.Fatalf("byte %d changed to %d", i, buf[i])
		}
	}
}
