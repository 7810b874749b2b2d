//go:build linux

package main

import (
	"path/filepath"
	"strconv"
	"strings"

	"github.com/tachyon-ipc/tachyon-go/conn"
)

// What a descriptor's link in /proc/PID/fd names. A memfd reads as
// "/memfd:NAME (deleted)", a socket as "socket:[INODE]".
const (
	memfdLinkPrefix  = "/memfd:"
	memfdLinkSuffix  = " (deleted)"
	socketLinkPrefix = "socket:["
)

// memfdName returns the name of the memfd a /proc/PID/fd link target
// points to, and false for anything else (files, pipes, sockets …). Only
// such links are ever opened, so no socket or fifo is touched.
func memfdName(target string) (string, bool) {
	name, ok := strings.CutPrefix(target, memfdLinkPrefix)
	if !ok {
		return "", false
	}
	return strings.TrimSuffix(name, memfdLinkSuffix), true
}

// ringName is what a tachyon-go ring's memfd name says (conn.MemfdPrefix +
// dir + ":" + socket path).
type ringName struct {
	Dir  string // "c2s" (client to server) or "s2c"; "" if the name has none
	Path string // the socket path the connection was made on ("pipe" for conn.Pipe)
}

// Directions a ring name may carry.
const (
	dirToServer = "c2s"
	dirToClient = "s2c"
)

// pipePath is the path conn.Pipe puts in its rings' names: an in-process
// connection, whose one process both created and uses the rings.
const pipePath = "pipe"

// parseRingName splits a memfd name made by conn. It reports false for a
// name without conn.MemfdPrefix. A socket path may itself hold colons: only
// the first separates it from the direction.
func parseRingName(name string) (ringName, bool) {
	rest, ok := strings.CutPrefix(name, conn.MemfdPrefix)
	if !ok {
		return ringName{}, false
	}
	dir, path, found := strings.Cut(rest, ":")
	if !found || (dir != dirToServer && dir != dirToClient) {
		return ringName{Path: rest}, true
	}
	return ringName{Dir: dir, Path: path}, true
}

// listenerName reports whether a Unix socket bound to name is the
// listening side of connections made on path: bound to path itself, or,
// since package listener binds under a temporary name in the same directory
// and renames it into place ("." + base + ".tmp" + pid), to that name. An
// accepted socket carries its listener's name; a dialer's is unnamed.
func listenerName(name, path string) bool {
	if name == path {
		return true
	}
	dir, base := filepath.Split(path)
	tdir, tbase := filepath.Split(name)
	return base != "" && tdir == dir && strings.HasPrefix(tbase, "."+base+".tmp")
}

// socketInode returns the inode of the socket a link target names.
func socketInode(target string) (uint64, bool) {
	s, ok := strings.CutPrefix(target, socketLinkPrefix)
	if !ok || !strings.HasSuffix(s, "]") {
		return 0, false
	}
	ino, err := strconv.ParseUint(s[:len(s)-1], 10, 64)
	return ino, err == nil
}
