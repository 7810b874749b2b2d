//go:build linux

package shmring

import (
	"bufio"
	"encoding/binary"
	"errors"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/tachyon-ipc/tachyon-go/internal/sys"
	"golang.org/x/sys/unix"
)

// Format, attach and unmap: the segment a ring lives in (ABI.md §1).

func TestCreateFormatsControlBlock(t *testing.T) {
	const capacity = 4096
	r := testRing(t, capacity)
	ne := binary.NativeEndian
	want := map[int]uint32{
		offMagic:      Magic,
		offVersion:    WireVersion,
		offCapacity:   capacity,
		offAlignment:  MsgAlignment,
		offState:      uint32(StateReady),
		offExtMagic:   ExtMagic,
		offExtVersion: ExtVersion,
	}
	for off, v := range want {
		if got := ne.Uint32(r.ctl[off:]); got != v {
			t.Errorf("control word at %d = %#x, want %#x", off, got, v)
		}
	}
	// Every other byte of the control block starts at zero: indices,
	// sleeping words, heartbeats, flags and stats.
	for i := 28; i < ControlSize; i++ {
		if r.ctl[i] != 0 {
			t.Fatalf("control byte %d = %#x, want 0", i, r.ctl[i])
		}
	}
	if ne.Uint16([]byte{1, 0}) == 1 { // little-endian: the marker reads as text
		if got := string(r.ctl[offMagic : offMagic+4]); got != "HCAT" {
			t.Errorf("magic bytes %q, want \"HCAT\" (0x54414348 little-endian)", got)
		}
		if got := string(r.ctl[offExtMagic : offExtMagic+4]); got != "TGOX" {
			t.Errorf("extension magic bytes %q, want \"TGOX\"", got)
		}
	}
	if r.State() != StateReady || r.Capacity() != capacity || r.MaxPayload() != capacity-HeaderSize {
		t.Errorf("state %d capacity %d max payload %d", r.State(), r.Capacity(), r.MaxPayload())
	}
	if r.Fill() != 0 {
		t.Errorf("fresh ring fill %d", r.Fill())
	}
}

func TestCreateSealsMemfd(t *testing.T) {
	r := testRing(t, 1024)
	var st unix.Stat_t
	if err := unix.Fstat(r.Fd(), &st); err != nil {
		t.Fatal(err)
	}
	if st.Size != int64(SegmentSize(1024)) || st.Mode&unix.S_IFMT != unix.S_IFREG || st.Mode&0o777 != 0o600 {
		t.Errorf("segment size %d mode %#o, want %d bytes, regular, 0600", st.Size, st.Mode, SegmentSize(1024))
	}
	seals, err := unix.FcntlInt(uintptr(r.Fd()), unix.F_GET_SEALS, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_SEAL
	if seals&want != want {
		t.Errorf("seals %#x, want at least %#x", seals, want)
	}
	if fl, err := unix.FcntlInt(uintptr(r.Fd()), unix.F_GETFD, 0); err != nil || fl&unix.FD_CLOEXEC == 0 {
		t.Errorf("memfd not close-on-exec: flags %#x, %v", fl, err)
	}
}

func TestCheckCapacity(t *testing.T) {
	for _, c := range []int{64, 128, 4096, 1 << 20, MaxCapacity} {
		if err := CheckCapacity(c); err != nil {
			t.Errorf("CheckCapacity(%d) = %v", c, err)
		}
	}
	for _, c := range []int{-64, 0, 1, 32, 63, 65, 96, 3 << 10, 2 * MaxCapacity} {
		if err := CheckCapacity(c); err == nil {
			t.Errorf("CheckCapacity(%d) accepted", c)
		}
		if r, err := Create("bad-capacity", c); err == nil {
			r.Close()
			t.Errorf("Create with capacity %d succeeded", c)
		}
	}
}

func TestAttachSharesMemory(t *testing.T) {
	r := testRing(t, 1024)
	a, err := Attach(r.Fd(), 1024)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if a.Fd() == r.Fd() {
		t.Error("Attach kept the caller's descriptor instead of a duplicate")
	}
	if fl, err := unix.FcntlInt(uintptr(a.Fd()), unix.F_GETFD, 0); err != nil || fl&unix.FD_CLOEXEC == 0 {
		t.Errorf("attached descriptor not close-on-exec: flags %#x, %v", fl, err)
	}
	p, err := r.Producer()
	if err != nil {
		t.Fatal(err)
	}
	c, err := a.Consumer()
	if err != nil {
		t.Fatal(err)
	}
	mustSend(t, p, 7, []byte("through two mappings"))
	mustRecv(t, c, 7, []byte("through two mappings"))
}

// TestAttachRefusesBadDescriptors feeds Attach descriptors that a lying peer
// could send: each must be refused before it is mapped.
func TestAttachRefusesBadDescriptors(t *testing.T) {
	const capacity = 1024
	size := SegmentSize(capacity)
	memfd := func(t *testing.T, flags int, size int, seals int) int {
		fd, err := unix.MemfdCreate("tachyon-go-bad", flags|unix.MFD_CLOEXEC)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { unix.Close(fd) })
		if err := unix.Ftruncate(fd, int64(size)); err != nil {
			t.Fatal(err)
		}
		if seals != 0 {
			if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals); err != nil {
				t.Fatal(err)
			}
		}
		return fd
	}
	cases := []struct {
		name string
		fd   func(t *testing.T) int
		want string // in the error message
	}{
		{"unsealed memfd", func(t *testing.T) int {
			return memfd(t, unix.MFD_ALLOW_SEALING, size, 0)
		}, "not sealed"},
		{"memfd without sealing", func(t *testing.T) int {
			return memfd(t, 0, size, 0)
		}, "not sealed"},
		{"memfd sealed against shrink only", func(t *testing.T) int {
			return memfd(t, unix.MFD_ALLOW_SEALING, size, unix.F_SEAL_SHRINK)
		}, "not sealed"},
		{"short sealed memfd", func(t *testing.T) int {
			fd, err := sys.CreateSealedMemfd("tachyon-go-short", size-64)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { unix.Close(fd) })
			return fd
		}, "expected exactly"},
		{"long sealed memfd", func(t *testing.T) int {
			fd, err := sys.CreateSealedMemfd("tachyon-go-long", size+4096)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { unix.Close(fd) })
			return fd
		}, "expected exactly"},
		{"pipe", func(t *testing.T) int {
			var p [2]int
			if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { unix.Close(p[0]); unix.Close(p[1]) })
			return p[0]
		}, "not a regular file"},
		{"eventfd", func(t *testing.T) int {
			fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { unix.Close(fd) })
			return fd
		}, "not a regular file"},
		{"file in a temporary directory", func(t *testing.T) int {
			f, err := os.CreateTemp(t.TempDir(), "segment")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { f.Close() })
			if err := f.Truncate(int64(size)); err != nil {
				t.Fatal(err)
			}
			fd, err := sys.Dup(int(f.Fd()))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { unix.Close(fd) })
			return fd
		}, "seal"},
		{"closed descriptor", func(t *testing.T) int {
			fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC)
			if err != nil {
				t.Fatal(err)
			}
			unix.Close(fd)
			return fd
		}, "fstat"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Attach(tc.fd(t), capacity)
			if err == nil {
				r.Close()
				t.Fatal("Attach accepted the descriptor")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

// TestAttachRefusesBadControlBlock corrupts one field of a well-formed,
// sealed segment at a time.
func TestAttachRefusesBadControlBlock(t *testing.T) {
	const capacity = 1024
	ne := binary.NativeEndian
	cases := []struct {
		name      string
		corrupt   func(r *Ring)
		want      string
		isCorrupt bool // the error must satisfy errors.Is(err, ErrCorrupt)
	}{
		{"magic", func(r *Ring) { ne.PutUint32(r.ctl[offMagic:], 0x12345678) }, "magic", false},
		{"version", func(r *Ring) { ne.PutUint32(r.ctl[offVersion:], 3) }, "wire version 3", false},
		{"capacity word", func(r *Ring) { ne.PutUint32(r.ctl[offCapacity:], 2048) }, "capacity 2048", false},
		{"alignment", func(r *Ring) { ne.PutUint32(r.ctl[offAlignment:], 128) }, "alignment 128", false},
		{"state initializing", func(r *Ring) { r.state.Store(uint32(StateInitializing)) }, "not ready (state 1)", false},
		{"state fatal", func(r *Ring) { r.state.Store(uint32(StateFatal)) }, "not ready (state 4)", false},
		{"head beyond a ring", func(r *Ring) { r.head.Store(capacity + 64) }, "indices", true},
		{"tail ahead of head", func(r *Ring) { r.tail.Store(64) }, "indices", true},
		{"misaligned head", func(r *Ring) { r.head.Store(8) }, "indices", true},
		{"misaligned tail", func(r *Ring) { r.head.Store(128); r.tail.Store(72) }, "indices", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := testRing(t, capacity)
			tc.corrupt(r)
			a, err := Attach(r.Fd(), capacity)
			if err == nil {
				a.Close()
				t.Fatal("Attach accepted the control block")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
			if errors.Is(err, ErrCorrupt) != tc.isCorrupt {
				t.Errorf("errors.Is(%v, ErrCorrupt) = %v", err, !tc.isCorrupt)
			}
		})
	}
	t.Run("capacity argument", func(t *testing.T) {
		r := testRing(t, capacity)
		if a, err := Attach(r.Fd(), 2*capacity); err == nil {
			a.Close()
			t.Fatal("Attach accepted a segment of another size")
		}
		if a, err := Attach(r.Fd(), 1000); err == nil {
			a.Close()
			t.Fatal("Attach accepted a capacity that is not a power of two")
		}
	})
}

// mapped reports whether this process maps the memfd behind r, by its name
// in /proc/self/maps.
func mapped(t *testing.T, name string) bool {
	t.Helper()
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasSuffix(sc.Text(), "/memfd:"+name+" (deleted)") {
			return true
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return false
}

// TestViewsOutliveRingClose: Ring.Close while zero-copy views are held keeps
// the mapping until the last view is committed or rolled back.
func TestViewsOutliveRingClose(t *testing.T) {
	t.Run("consumer view", func(t *testing.T) {
		const name = "tachyon-go-deferred-consumer"
		r, err := Create(name, 1024)
		if err != nil {
			t.Fatal(err)
		}
		p, _ := r.Producer()
		c, _ := r.Consumer()
		mustSend(t, p, 1, []byte("still here"))
		p.Close() // an open side would hold the mapping too
		f, err := c.Acquire()
		if err != nil {
			t.Fatal(err)
		}
		r.Close()
		if !mapped(t, name) {
			t.Fatal("Ring.Close unmapped the ring under a held view")
		}
		if string(f.Payload) != "still here" {
			t.Fatalf("view after Ring.Close reads %q", f.Payload)
		}
		_, err = c.Acquire() // the held view keeps the mapping, but no new read starts
		wantErr(t, err, ErrClosed)
		if got := c.Stats(); got != (Stats{}) {
			t.Errorf("Stats after Ring.Close = %+v, want zero", got)
		}
		if err := c.Commit(); err != nil {
			t.Fatal(err)
		}
		if mapped(t, name) {
			t.Fatal("mapping survived the last Commit after Ring.Close")
		}
		wantErr(t, c.Wait(), ErrClosed)
		wantErr(t, c.Flush(), ErrClosed)
		_, err = c.Acquire()
		wantErr(t, err, ErrClosed)
		if r.Fill() != 0 {
			t.Error("Fill on a closed ring")
		}
	})
	t.Run("producer view", func(t *testing.T) {
		const name = "tachyon-go-deferred-producer"
		r, err := Create(name, 1024)
		if err != nil {
			t.Fatal(err)
		}
		p, _ := r.Producer()
		b, err := p.Acquire(100)
		if err != nil {
			t.Fatal(err)
		}
		r.Close()
		copy(b, "written after Ring.Close") // must not fault
		if !mapped(t, name) {
			t.Fatal("Ring.Close unmapped the ring under a held view")
		}
		if err := p.Commit(24, 1); err != nil {
			t.Fatal(err)
		}
		if mapped(t, name) {
			t.Fatal("mapping survived the Commit after Ring.Close")
		}
		_, err = p.Acquire(1)
		wantErr(t, err, ErrClosed)
		wantErr(t, p.Flush(), ErrClosed)
		wantErr(t, p.Wait(1), ErrClosed)
	})
	t.Run("rollback and side close release", func(t *testing.T) {
		const name = "tachyon-go-deferred-rollback"
		r, err := Create(name, 1024)
		if err != nil {
			t.Fatal(err)
		}
		p, _ := r.Producer()
		c, _ := r.Consumer()
		mustSend(t, p, 1, nil)
		if _, err := c.Acquire(); err != nil {
			t.Fatal(err)
		}
		if _, err := p.Acquire(10); err != nil {
			t.Fatal(err)
		}
		r.Close()
		p.Rollback()
		if !mapped(t, name) {
			t.Fatal("consumer view lost its mapping")
		}
		c.Close()
		if mapped(t, name) {
			t.Fatal("mapping survived the release of every view")
		}
		p.Close() // after the unmap: must not touch memory
	})
	t.Run("no view", func(t *testing.T) {
		const name = "tachyon-go-deferred-none"
		r, err := Create(name, 1024)
		if err != nil {
			t.Fatal(err)
		}
		if !mapped(t, name) {
			t.Fatal("ring not mapped under its name")
		}
		r.Close()
		r.Close()
		if mapped(t, name) {
			t.Fatal("Ring.Close without views did not unmap")
		}
	})
	t.Run("open sides hold the mapping", func(t *testing.T) {
		const name = "tachyon-go-deferred-sides"
		r, err := Create(name, 1024)
		if err != nil {
			t.Fatal(err)
		}
		p, _ := r.Producer()
		c, _ := r.Consumer()
		r.Close()
		if !mapped(t, name) {
			t.Fatal("Ring.Close unmapped the ring under open sides")
		}
		_, err = p.Acquire(1) // finds the ring closed: the producer lets go
		wantErr(t, err, ErrClosed)
		if !mapped(t, name) {
			t.Fatal("the consumer's hold was lost")
		}
		c.Close()
		if mapped(t, name) {
			t.Fatal("mapping survived both sides letting go")
		}
		p.Close() // after the unmap: must not touch memory
		c.Close()
	})
	t.Run("sides dropped without Close let go when collected", func(t *testing.T) {
		const name = "tachyon-go-deferred-dropped"
		r, err := Create(name, 1024)
		if err != nil {
			t.Fatal(err)
		}
		func() {
			p, _ := r.Producer()
			c, _ := r.Consumer()
			mustSend(t, p, 1, []byte("x"))
			mustRecv(t, c, 1, []byte("x"))
		}()
		r.Close()
		// Cleanups run on their own goroutine after a collection: give
		// them a bounded number of collections.
		for i := 0; i < 1000 && mapped(t, name); i++ {
			runtime.GC()
			runtime.Gosched()
		}
		if mapped(t, name) {
			t.Fatal("mapping survived two unreachable sides and Ring.Close")
		}
	})
}

// TestOpenSideChecksIndices: a peer may scribble the indices between Attach
// and the opening of a side; Producer and Consumer must refuse them instead
// of indexing the ring with them.
func TestOpenSideChecksIndices(t *testing.T) {
	cases := []struct {
		name       string
		head, tail uint64
	}{
		{"misaligned tail", 1024, 1024 - 8},
		{"misaligned head", 1024 + 8, 1024},
		{"head a ring ahead", 1024 + 2048, 1024},
		{"tail ahead of head", 1024, 1024 + 64},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := testRing(t, 1024)
			r.head.Store(tc.head)
			r.tail.Store(tc.tail)
			if c, err := r.Consumer(); err == nil {
				c.Acquire() // would index the ring with the bad tail
				t.Error("Consumer opened on corrupt indices")
			} else {
				wantErr(t, err, ErrCorrupt)
			}
			r.state.Store(uint32(StateReady))
			if p, err := r.Producer(); err == nil {
				p.Acquire(900)
				t.Error("Producer opened on corrupt indices")
			} else {
				wantErr(t, err, ErrCorrupt)
			}
			if r.State() != StateFatal {
				t.Errorf("state %d after corrupt indices, want %d", r.State(), StateFatal)
			}
		})
	}
}

// TestAttachWithoutExtensionMarker: a ring formatted by a Tachyon program has
// zeros where a Go creator writes "TGOX" (ABI.md §1.2); Attach takes it.
func TestAttachWithoutExtensionMarker(t *testing.T) {
	r := testRing(t, 1024)
	clear(r.ctl[offExtMagic : offExtVersion+4])
	a, err := Attach(r.Fd(), 1024)
	if err != nil {
		t.Fatalf("Attach of a ring without the extension marker: %v", err)
	}
	defer a.Close()
	p, _ := r.Producer()
	c, err := a.Consumer()
	if err != nil {
		t.Fatal(err)
	}
	mustSend(t, p, 1, []byte("from a plain Tachyon ring"))
	mustRecv(t, c, 1, []byte("from a plain Tachyon ring"))
}
