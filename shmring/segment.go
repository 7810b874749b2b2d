package shmring

import (
	"fmt"
	"sync/atomic"

	"github.com/tachyon-ipc/tachyon-go/internal/sys"
)

// Segment is a sealed memfd mapped shared into this process. It keeps its
// own descriptor open for as long as it lives, so observers such as
// tachyon-top can find it under /proc/PID/fd.
//
// Every access to the mapping happens between enter and exit. Close marks the
// segment closed at once but unmaps only when the last such access ends, so a
// zero-copy view handed to a caller stays valid until it is committed or
// rolled back, and a concurrent Close can never turn a copy into SIGSEGV.
type Segment struct {
	fd  int    // owned; closed with the mapping
	mem []byte // the whole mapping

	// users counts accesses in flight (low 63 bits); segClosed is set
	// once by Close. Whoever brings the word to exactly segClosed unmaps.
	users atomic.Uint64
}

const segClosed = 1 << 63

// NewSegment creates a sealed memfd of exactly size bytes and maps it.
func NewSegment(name string, size int) (*Segment, error) {
	fd, err := sys.CreateSealedMemfd(name, size)
	if err != nil {
		return nil, err
	}
	mem, err := sys.MapShared(fd, size)
	if err != nil {
		sys.Close(fd)
		return nil, err
	}
	return &Segment{fd: fd, mem: mem}, nil
}

// AttachSegment maps a segment received from a peer after checking that fd is
// a regular file of exactly size bytes sealed against shrinking and growing.
// The segment keeps a close-on-exec duplicate of fd; the caller keeps fd.
func AttachSegment(fd int, size int) (*Segment, error) {
	if err := sys.CheckSealedMemfd(fd, size); err != nil {
		return nil, err
	}
	own, err := sys.Dup(fd)
	if err != nil {
		return nil, err
	}
	mem, err := sys.MapShared(own, size)
	if err != nil {
		sys.Close(own)
		return nil, err
	}
	return &Segment{fd: own, mem: mem}, nil
}

// Fd returns the segment's descriptor, for passing to a peer. It stays owned
// by the segment and is closed with it.
func (s *Segment) Fd() int { return s.fd }

// Size returns the mapping's length in bytes.
func (s *Segment) Size() int { return len(s.mem) }

// enter registers an access to the mapping. It reports false once the
// segment is closed.
func (s *Segment) enter() bool {
	for {
		v := s.users.Load()
		if v&segClosed != 0 {
			return false
		}
		if s.users.CompareAndSwap(v, v+1) {
			return true
		}
	}
}

// closed reports whether Close has been called; for callers that already
// hold an access.
func (s *Segment) closed() bool { return s.users.Load()&segClosed != 0 }

// exit ends an access begun by a successful enter.
func (s *Segment) exit() {
	if s.users.Add(^uint64(0)) == segClosed {
		s.release()
	}
}

// Close closes the segment: no new access starts, and the mapping and
// descriptor are released once the accesses in flight have ended. It is safe
// to call more than once and from any goroutine.
func (s *Segment) Close() error {
	old := s.users.Or(segClosed)
	if old&segClosed != 0 {
		return nil
	}
	if old == 0 {
		s.release()
	}
	return nil
}

// release unmaps and closes; it runs exactly once.
func (s *Segment) release() {
	if err := sys.Unmap(s.mem); err != nil {
		panic(fmt.Sprintf("shmring: munmap: %v", err)) // a bug of ours, not the peer's
	}
	sys.Close(s.fd)
}
