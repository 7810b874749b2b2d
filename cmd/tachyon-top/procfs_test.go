//go:build linux

package main

import (
	"errors"
	"os"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/tachyon-ipc/tachyon-go/shmring"
)

var self = realProc{root: "/proc"}

// TestRealProcVanished closes a descriptor between the steps of a scan, as
// its process might: every later step reports it vanished.
func TestRealProcVanished(t *testing.T) {
	r := newRing(t, "tachyon-go:c2s:/vanishing")
	fd, err := unix.Dup(r.Fd())
	if err != nil {
		t.Fatal(err)
	}
	pid := os.Getpid()
	target, err := self.link(pid, fd)
	if err != nil || target != memfdLink("tachyon-go:c2s:/vanishing") {
		t.Fatalf("link = %q, %v", target, err)
	}
	id, err := self.stat(pid, fd)
	if err != nil {
		t.Fatal(err)
	}
	ofd, oid, err := self.open(pid, fd)
	if err != nil || oid != id {
		t.Fatalf("open: %v, file %+v, want %+v", err, oid, id)
	}
	unix.Close(ofd)
	unix.Close(fd)
	if _, err := self.link(pid, fd); !vanished(err) {
		t.Errorf("link of a closed descriptor: %v", err)
	}
	if _, err := self.stat(pid, fd); !vanished(err) {
		t.Errorf("stat of a closed descriptor: %v", err)
	}
	if _, _, err := self.open(pid, fd); !vanished(err) {
		t.Errorf("open of a closed descriptor: %v", err)
	}
	if _, err := self.fds(1 << 30); !vanished(err) { // above any pid_max
		t.Errorf("fds of a process that is not there: %v", err)
	}
}

// TestRealProcOddDescriptors opens a fifo nobody writes to and a socket
// through /proc, as a scan would if a ring's descriptor number were reused
// for them mid-scan: neither blocks.
func TestRealProcOddDescriptors(t *testing.T) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	fd, _, err := self.open(os.Getpid(), p[0])
	if err != nil {
		t.Fatalf("open of a fifo: %v", err)
	}
	unix.Close(fd)

	s, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(s)
	if fd, _, err := self.open(os.Getpid(), s); !vanished(err) {
		unix.Close(fd)
		t.Errorf("open of a socket through /proc: %v, want it taken for a vanished memfd", err)
	}
}

// TestInspectShmemOnly refuses a sealed memfd that is not shmem (hugetlbfs,
// whose first read may find no huge page and fault) before mapping it.
func TestInspectShmemOnly(t *testing.T) {
	fd, err := unix.MemfdCreate("tachyon-go:c2s:/huge", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING|unix.MFD_HUGETLB)
	if err != nil {
		t.Skipf("no hugetlb memfds here: %v", err)
	}
	defer unix.Close(fd)
	if err := unix.Ftruncate(fd, 2<<20); err != nil {
		t.Skipf("hugetlb memfd: %v", err)
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, unix.F_SEAL_SHRINK|unix.F_SEAL_GROW); err != nil {
		t.Skipf("hugetlb memfd cannot be sealed: %v", err)
	}
	if _, err := inspectShmem(fd); !errors.Is(err, shmring.ErrNotRing) {
		t.Errorf("inspectShmem of a hugetlb memfd: %v", err)
	}
	r := newRing(t, "tachyon-go:c2s:/shmem")
	if _, err := inspectShmem(r.Fd()); err != nil {
		t.Errorf("inspectShmem of a ring: %v", err)
	}
}

func TestParseUnixLine(t *testing.T) {
	for _, tc := range []struct {
		line string
		ino  uint64
		path string
		ok   bool
	}{
		{"000000003c965b42: 00000003 00000000 00010000 0001 01 311323 /run/x.sock", 311323, "/run/x.sock", true},
		{"00000000b3197b93: 00000003 00000000 00000000 0001 03   623 /tmp/a b", 623, "/tmp/a b", true},
		{"00000000b3197b93: 00000002 00000000 00000000 0001 01 99 @/abstract", 99, "@/abstract", true},
		{"000000003c965b42: 00000003 00000000 00000000 0001 03 311323", 0, "", false}, // unnamed
		{"Num       RefCount Protocol Flags    Type St Inode Path", 0, "", false},
		{"", 0, "", false},
	} {
		ino, path, ok := parseUnixLine(tc.line)
		if ino != tc.ino || path != tc.path || ok != tc.ok {
			t.Errorf("parseUnixLine(%q) = %d, %q, %v; want %d, %q, %v", tc.line, ino, path, ok, tc.ino, tc.path, tc.ok)
		}
	}
}
