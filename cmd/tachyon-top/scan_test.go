//go:build linux

package main

import (
	"fmt"
	"slices"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/tachyon-ipc/tachyon-go/shmring"
)

// fakeProc is a procfs whose processes and descriptors are made up and can
// fail at any step, as they do when processes exit mid-scan. Descriptors
// that "hold a file" open onto real files of this process.
type fakeProc struct {
	procs  map[int]*fakeProcess
	fail   map[step]error // what a call fails with
	reuse  map[step]int   // open finds this real descriptor instead
	unix   map[uint64]string
	opened []int // descriptors handed out by open
	tables int   // calls of unixSockets
}

type fakeProcess struct {
	links map[int]string // fd → link target
	files map[int]int    // fd → a real descriptor of the same file
}

// step is one call of the scan on one process or descriptor.
type step struct {
	call    string
	pid, fd int
}

func (p *fakeProc) pids() ([]int, error) {
	var ps []int
	for pid := range p.procs {
		ps = append(ps, pid)
	}
	slices.Sort(ps)
	return ps, nil
}

func (p *fakeProc) fds(pid int) ([]int, error) {
	if err := p.fail[step{"fds", pid, 0}]; err != nil {
		return nil, err
	}
	var fds []int
	for fd := range p.procs[pid].links {
		fds = append(fds, fd)
	}
	slices.Sort(fds)
	return fds, nil
}

func (p *fakeProc) link(pid, fd int) (string, error) {
	if err := p.fail[step{"link", pid, fd}]; err != nil {
		return "", err
	}
	return p.procs[pid].links[fd], nil
}

func (p *fakeProc) stat(pid, fd int) (fileID, error) {
	if err := p.fail[step{"stat", pid, fd}]; err != nil {
		return fileID{}, err
	}
	return fstatID(p.procs[pid].files[fd])
}

func (p *fakeProc) open(pid, fd int) (int, fileID, error) {
	if err := p.fail[step{"open", pid, fd}]; err != nil {
		return -1, fileID{}, err
	}
	real := p.procs[pid].files[fd]
	if r, ok := p.reuse[step{"open", pid, fd}]; ok {
		real = r
	}
	ofd, err := unix.Dup(real)
	if err != nil {
		return -1, fileID{}, err
	}
	p.opened = append(p.opened, ofd)
	id, err := fstatID(ofd)
	return ofd, id, err
}

func (p *fakeProc) comm(pid int) string { return fmt.Sprint("proc", pid) }

func (p *fakeProc) netns(pid int) (string, error) { return "net:[1]", nil }

func (p *fakeProc) unixSockets(pid int) (map[uint64]string, error) {
	p.tables++
	return p.unix, nil
}

func fstatID(fd int) (fileID, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fileID{}, err
	}
	return fileID{Dev: st.Dev, Ino: st.Ino}, nil
}

// newRing makes a real ring named name, closed when the test ends.
func newRing(t *testing.T, name string) *shmring.Ring {
	t.Helper()
	r, err := shmring.Create(name, 4096)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func memfdLink(name string) string { return memfdLinkPrefix + name + memfdLinkSuffix }

// TestScanVanishing makes processes and descriptors vanish, or refuse to be
// read, at every step of a scan: each is skipped and counted, and the ring
// that can still be read is listed with the holders that still hold it.
func TestScanVanishing(t *testing.T) {
	a := newRing(t, "tachyon-go:c2s:/run/a.sock")
	b := newRing(t, "tachyon-go:s2c:/run/b.sock")
	notRing, err := unix.MemfdCreate("tachyon-go:c2s:/run/half-made", unix.MFD_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(notRing)
	other := newRing(t, "someone-else")
	aLink, bLink := memfdLink("tachyon-go:c2s:/run/a.sock"), memfdLink("tachyon-go:s2c:/run/b.sock")

	p := &fakeProc{
		procs: map[int]*fakeProcess{
			10: {},                                                // exits before its descriptors are listed
			11: {},                                                // exits: ESRCH
			12: {},                                                // not ours to read
			13: {links: map[int]string{0: "/dev/null", 1: aLink}}, // readlink refused
			20: { // a's first holder, gone by the time a is opened
				links: map[int]string{5: aLink, 6: "/dev/null", 7: aLink, 8: "pipe:[4]", 9: memfdLink("someone-else")},
				files: map[int]int{5: a.Fd(), 7: a.Fd(), 9: other.Fd()},
			},
			21: { // the creator of a: its socket is bound to a's path
				links: map[int]string{3: aLink, 4: "socket:[777]", 6: bLink},
				files: map[int]int{3: a.Fd(), 6: b.Fd()},
			},
			22: { // the dialer of a: its socket has no name
				links: map[int]string{4: "socket:[778]", 9: aLink, 10: memfdLink("tachyon-go:c2s:/run/half-made")},
				files: map[int]int{9: a.Fd(), 10: notRing},
			},
		},
		fail: map[step]error{
			{"fds", 10, 0}:  syscall.ENOENT,
			{"fds", 11, 0}:  syscall.ESRCH,
			{"fds", 12, 0}:  syscall.EACCES,
			{"link", 13, 1}: syscall.EACCES,
			{"link", 20, 6}: syscall.ENOENT, // closed after the listing: not a ring we knew of
			{"stat", 20, 7}: syscall.ENOENT, // closed between readlink and stat
			{"open", 20, 5}: syscall.ENOENT, // closed between stat and open
		},
		reuse: map[step]int{{"open", 21, 6}: other.Fd()}, // b's only descriptor now names another file
		unix:  map[uint64]string{777: "/run/a.sock"},
	}
	sc := &scanner{proc: p, inspect: inspectShmem}
	snap, err := sc.scan()
	if err != nil {
		t.Fatal(err)
	}
	for _, fd := range p.opened {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil {
			t.Errorf("descriptor %d opened by the scan is still open", fd)
		}
	}
	if len(snap.Segments) != 1 {
		t.Fatalf("segments %+v, want a only", snap.Segments)
	}
	s := snap.Segments[0]
	if s.Path != "/run/a.sock" || s.Direction != "c2s" || s.Capacity != 4096 || s.State != "ready" {
		t.Errorf("segment %+v", s)
	}
	wantHolders := []holder{
		{PID: 21, Comm: "proc21", FDs: []int{3}, Role: roleCreator},
		{PID: 22, Comm: "proc22", FDs: []int{9}, Role: rolePeer},
	}
	if !slices.EqualFunc(s.Holders, wantHolders, func(x, y holder) bool {
		return x.PID == y.PID && x.Comm == y.Comm && slices.Equal(x.FDs, y.FDs) && x.Role == y.Role
	}) {
		t.Errorf("holders %+v, want %+v", s.Holders, wantHolders)
	}
	if s.CreatorPID != 21 || !slices.Equal(s.PeerPIDs, []int{22}) || !slices.Equal(s.PIDs, []int{21, 22}) {
		t.Errorf("creator %d, peers %v, pids %v", s.CreatorPID, s.PeerPIDs, s.PIDs)
	}
	// Vanished: processes 10 and 11; 20's fd 7 (stat) and fd 5 (open); b's
	// reused descriptor.
	if snap.Vanished != 5 || snap.Unreadable != 2 || snap.NotRings != 1 || snap.Processes != 2 || snap.Scanned != 4 {
		t.Errorf("vanished %d, unreadable %d, not rings %d, processes %d, scanned %d; want 5, 2, 1, 2, 4",
			snap.Vanished, snap.Unreadable, snap.NotRings, snap.Processes, snap.Scanned)
	}
	if len(snap.Errors) != 0 {
		t.Errorf("errors %q", snap.Errors)
	}
	if p.tables != 1 {
		t.Errorf("socket table read %d times, want once per network namespace", p.tables)
	}
}
