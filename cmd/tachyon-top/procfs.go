//go:build linux

package main

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/tachyon-ipc/tachyon-go/shmring"
)

// fileID identifies an open file machine-wide: the same segment held by
// several processes (or several descriptors) has one fileID.
type fileID struct {
	Dev, Ino uint64
}

// procFS is the part of /proc a scan reads. Any call may fail because the
// process or descriptor vanished (see vanished) or because it is not ours
// to read (see denied). Tests substitute a fake that fails at every step.
type procFS interface {
	pids() ([]int, error)                           // every process
	fds(pid int) ([]int, error)                     // its open descriptors
	link(pid, fd int) (string, error)               // what the descriptor's link names
	stat(pid, fd int) (fileID, error)               // the file behind it, not opened
	open(pid, fd int) (int, fileID, error)          // a read-only descriptor of our own for it
	comm(pid int) string                            // the process's command name, "" if unknown
	netns(pid int) (string, error)                  // its network namespace
	unixSockets(pid int) (map[uint64]string, error) // socket inode → bound path, in pid's namespace
}

// vanished reports an error meaning the process or descriptor is gone. An
// open that fails with ENXIO found a socket where the memfd was: the
// descriptor was closed and its number reused.
func vanished(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH) || errors.Is(err, syscall.ENXIO)
}

// denied reports an error meaning we may not look (EACCES, EPERM).
func denied(err error) bool { return errors.Is(err, fs.ErrPermission) }

// realProc reads a procfs mounted at root.
type realProc struct{ root string }

func (p realProc) pidDir(pid int) string { return p.root + "/" + strconv.Itoa(pid) }

func (p realProc) fdPath(pid, fd int) string { return p.pidDir(pid) + "/fd/" + strconv.Itoa(fd) }

func (p realProc) pids() ([]int, error) { return numericNames(p.root) }

func (p realProc) fds(pid int) ([]int, error) { return numericNames(p.pidDir(pid) + "/fd") }

// numericNames lists the entries of dir whose names are numbers.
func numericNames(dir string) ([]int, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	ns := make([]int, 0, len(names))
	for _, name := range names {
		if n, err := strconv.Atoi(name); err == nil && n >= 0 {
			ns = append(ns, n)
		}
	}
	return ns, nil
}

func (p realProc) link(pid, fd int) (string, error) { return os.Readlink(p.fdPath(pid, fd)) }

// stat follows the descriptor's link without opening the file. It is only
// called for memfd links, which no filesystem can make slow.
func (p realProc) stat(pid, fd int) (fileID, error) {
	var st unix.Stat_t
	if err := unix.Stat(p.fdPath(pid, fd), &st); err != nil {
		return fileID{}, err
	}
	return fileID{Dev: st.Dev, Ino: st.Ino}, nil
}

// open opens the file behind the descriptor read-only, so nothing we do can
// write into it. O_NONBLOCK: should the descriptor have been replaced by a
// fifo since its link was read, the open returns at once instead of waiting
// for a writer (and a socket fails with ENXIO).
func (p realProc) open(pid, fd int) (int, fileID, error) {
	ofd, err := unix.Open(p.fdPath(pid, fd), unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC|unix.O_NOCTTY, 0)
	if err != nil {
		return -1, fileID{}, &os.PathError{Op: "open", Path: p.fdPath(pid, fd), Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstat(ofd, &st); err != nil {
		unix.Close(ofd)
		return -1, fileID{}, &os.PathError{Op: "fstat", Path: p.fdPath(pid, fd), Err: err}
	}
	return ofd, fileID{Dev: st.Dev, Ino: st.Ino}, nil
}

func (p realProc) comm(pid int) string {
	b, err := os.ReadFile(p.pidDir(pid) + "/comm")
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(b), "\n")
}

func (p realProc) netns(pid int) (string, error) { return os.Readlink(p.pidDir(pid) + "/ns/net") }

func (p realProc) unixSockets(pid int) (map[uint64]string, error) {
	f, err := os.Open(p.pidDir(pid) + "/net/unix")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	socks := map[uint64]string{}
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		if ino, path, ok := parseUnixLine(sc.Text()); ok {
			socks[ino] = path
		}
	}
	return socks, sc.Err()
}

// parseUnixLine reads one line of /proc/net/unix:
//
//	Num       RefCount Protocol Flags    Type St Inode Path
//	000000003c965b42: 00000003 00000000 00010000 0001 01 311323 /run/x.sock
//
// The inode is space-padded on the left and the path, printed raw, may hold
// spaces; sockets without a name have no path and are left out.
func parseUnixLine(line string) (ino uint64, path string, ok bool) {
	rest := line
	var field string
	for range 7 {
		field, rest, _ = strings.Cut(strings.TrimLeft(rest, " "), " ")
	}
	ino, err := strconv.ParseUint(field, 10, 64)
	if err != nil || rest == "" {
		return 0, "", false
	}
	return ino, rest, true
}

// inspectShmem is shmring.InspectFd for memfds of the kind package shmring
// makes (shmem, the kernel's tmpfs): others, hugetlbfs ones above all,
// whose first read could fail to get a huge page and fault, are no rings.
func inspectShmem(fd int) (shmring.Info, error) {
	var fs unix.Statfs_t
	if err := unix.Fstatfs(fd, &fs); err != nil {
		return shmring.Info{}, err
	}
	if fs.Type != unix.TMPFS_MAGIC {
		return shmring.Info{}, fmt.Errorf("%w: a memfd on filesystem %#x, not shmem", shmring.ErrNotRing, fs.Type)
	}
	return shmring.InspectFd(fd)
}
