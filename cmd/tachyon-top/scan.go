//go:build linux

package main

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tachyon-ipc/tachyon-go/shmring"
)

// scanner finds the rings held by the processes of a procfs and reads their
// control blocks. It opens nothing but memfds, read-only, and writes
// nothing: a ring is mapped read-only by inspect (shmring.InspectFd).
type scanner struct {
	proc    procFS
	inspect func(fd int) (shmring.Info, error)
	all     bool   // also list memfds not named by tachyon-go whose control block is a ring's
	path    string // if set, list only rings whose socket path contains it
}

// maxErrors bounds the unexpected errors a snapshot keeps.
const maxErrors = 10

// ref is one descriptor that holds a segment.
type ref struct{ pid, fd int }

// candidate is a memfd seen while walking /proc, not yet inspected.
type candidate struct {
	name string
	refs []ref
}

// scanState is the work of one scan.
type scanState struct {
	*scanner
	snap       *snapshot
	candidates map[fileID]*candidate
	order      []fileID                     // candidates in the order found
	sockets    map[int][]uint64             // socket inodes of each process holding a candidate
	unixTables map[string]map[uint64]string // per network namespace: socket inode → path
	unreadable map[int]bool
	comms      map[int]string // command names, read once per process
}

// scan walks every process's descriptors, then inspects each segment found
// once, through the first of its descriptors that still opens. Processes and
// descriptors may vanish at any step: they are skipped and counted. It
// fails only if the processes cannot be listed at all.
func (s *scanner) scan() (*snapshot, error) {
	st := &scanState{
		scanner:    s,
		snap:       &snapshot{Time: time.Now(), Segments: []segment{}},
		candidates: map[fileID]*candidate{},
		sockets:    map[int][]uint64{},
		unixTables: map[string]map[uint64]string{},
		unreadable: map[int]bool{},
		comms:      map[int]string{},
	}
	pids, err := s.proc.pids()
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	for _, pid := range pids {
		st.walkProcess(pid)
	}
	for _, id := range st.order {
		if seg, ok := st.inspectCandidate(id, st.candidates[id]); ok {
			st.assignRoles(&seg)
			st.snap.Segments = append(st.snap.Segments, seg)
		}
	}
	st.finish()
	return st.snap, nil
}

// problem sorts out an error met while looking at process pid.
func (st *scanState) problem(pid int, err error) {
	switch {
	case vanished(err):
		st.snap.Vanished++
	case denied(err):
		st.unreadable[pid] = true
	case len(st.snap.Errors) < maxErrors:
		st.snap.Errors = append(st.snap.Errors, err.Error())
	}
}

// walkProcess reads the links of pid's descriptors and notes its memfds of
// interest, and its sockets should it hold one.
func (st *scanState) walkProcess(pid int) {
	fds, err := st.proc.fds(pid)
	if err != nil {
		st.problem(pid, err)
		return
	}
	st.snap.Scanned++
	var socks []uint64
	holds := false
	for _, fd := range fds {
		target, err := st.proc.link(pid, fd)
		if vanished(err) {
			continue // closed since the listing: nothing we know to be a ring
		}
		if err != nil {
			st.problem(pid, err)
			continue
		}
		if ino, ok := socketInode(target); ok {
			socks = append(socks, ino)
			continue
		}
		name, ok := memfdName(target)
		if !ok {
			continue
		}
		if !st.wants(name) {
			continue
		}
		id, err := st.proc.stat(pid, fd)
		if err != nil {
			st.problem(pid, err)
			continue
		}
		c := st.candidates[id]
		if c == nil {
			c = &candidate{name: name}
			st.candidates[id] = c
			st.order = append(st.order, id)
		}
		c.refs = append(c.refs, ref{pid, fd})
		holds = true
	}
	if holds {
		st.sockets[pid] = socks
	}
}

// wants reports whether the memfd called name is to be inspected.
func (s *scanner) wants(name string) bool {
	rn, ours := parseRingName(name)
	if s.path != "" {
		return ours && strings.Contains(rn.Path, s.path)
	}
	return ours || s.all
}

// inspectCandidate reads the control block of segment id through the first
// of its descriptors that still opens onto it. Descriptors found gone on the
// way are dropped from its holders.
func (st *scanState) inspectCandidate(id fileID, c *candidate) (segment, bool) {
	rn, ours := parseRingName(c.name)
	for i, r := range c.refs {
		fd, got, err := st.proc.open(r.pid, r.fd)
		if err != nil {
			st.problem(r.pid, err)
			continue
		}
		if got != id { // closed and reused since the walk
			unix.Close(fd)
			st.snap.Vanished++
			continue
		}
		info, err := st.inspect(fd)
		unix.Close(fd)
		switch {
		case err == nil:
		case !ours: // -all: most memfds hold no ring
			return segment{}, false
		case errors.Is(err, shmring.ErrNotRing):
			st.snap.NotRings++
			return segment{}, false
		default:
			st.problem(r.pid, fmt.Errorf("%s: %w", c.name, err))
			return segment{}, false
		}
		seg := segment{Dev: id.Dev, Ino: id.Ino, Name: c.name, Path: rn.Path, Direction: rn.Dir}
		seg.setInfo(info)
		seg.Holders = st.holders(c.refs[i:])
		return seg, true
	}
	return segment{}, false
}

// holders groups descriptors by process, in pid order.
func (st *scanState) holders(refs []ref) []holder {
	var hs []holder
	for _, r := range refs {
		i := slices.IndexFunc(hs, func(h holder) bool { return h.PID == r.pid })
		if i < 0 {
			comm, ok := st.comms[r.pid]
			if !ok {
				comm = st.proc.comm(r.pid)
				st.comms[r.pid] = comm
			}
			hs = append(hs, holder{PID: r.pid, Comm: comm})
			i = len(hs) - 1
		}
		hs[i].FDs = append(hs[i].FDs, r.fd)
	}
	slices.SortFunc(hs, func(a, b holder) int { return cmp.Compare(a.PID, b.PID) })
	return hs
}

// assignRoles tells the creator of seg from its peers. The creator is the
// accepting side, which holds the listening side of the socket path (see
// listenerName); the dialer does not. conn.Pipe's rings have one process,
// which made them.
func (st *scanState) assignRoles(seg *segment) {
	for _, h := range seg.Holders {
		seg.PIDs = append(seg.PIDs, h.PID)
	}
	var creators []int
	switch {
	case seg.Path == "":
	case seg.Path == pipePath && len(seg.PIDs) == 1:
		creators = seg.PIDs
	default:
		for _, pid := range seg.PIDs {
			if st.listens(pid, seg.Path) {
				creators = append(creators, pid)
			}
		}
	}
	if len(creators) != 1 {
		return // no evidence, or conflicting evidence
	}
	seg.CreatorPID = creators[0]
	for i := range seg.Holders {
		h := &seg.Holders[i]
		if h.PID == seg.CreatorPID {
			h.Role = roleCreator
		} else {
			h.Role = rolePeer
			seg.PeerPIDs = append(seg.PeerPIDs, h.PID)
		}
	}
}

// listens reports whether pid holds the listening side of a Unix socket
// on path (see listenerName).
func (st *scanState) listens(pid int, path string) bool {
	table := st.unixTable(pid)
	for _, ino := range st.sockets[pid] {
		if name, ok := table[ino]; ok && listenerName(name, path) {
			return true
		}
	}
	return false
}

// unixTable returns the Unix sockets of pid's network namespace, read once
// per namespace per scan; nil if they cannot be read.
func (st *scanState) unixTable(pid int) map[uint64]string {
	if len(st.sockets[pid]) == 0 {
		return nil
	}
	key, err := st.proc.netns(pid)
	if err != nil {
		key = fmt.Sprint("pid ", pid)
	}
	if t, ok := st.unixTables[key]; ok {
		return t
	}
	t, _ := st.proc.unixSockets(pid)
	st.unixTables[key] = t
	return t
}

// finish counts and orders: by socket path, then by holders, so the two
// rings of a connection sit side by side, then by inode (c2s is made first).
func (st *scanState) finish() {
	st.snap.Unreadable = len(st.unreadable)
	pids := map[int]bool{}
	for _, s := range st.snap.Segments {
		for _, pid := range s.PIDs {
			pids[pid] = true
		}
	}
	st.snap.Processes = len(pids)
	slices.SortFunc(st.snap.Segments, func(a, b segment) int {
		return cmp.Or(cmp.Compare(a.Path, b.Path), slices.Compare(a.PIDs, b.PIDs), cmp.Compare(a.Ino, b.Ino))
	})
}
