// Package sys holds every raw system call tachyon-go makes, each behind a
// name that says what it does: creating and checking sealed memfds, mapping
// them, binding them to a NUMA node, futex waits and wakes, wake-channel
// socket pairs, passing file descriptors over Unix sockets, and the process
// and global barriers (membarrier) with the plain stores they pair with
// (LightStore32, LightStore64: barrier.go). It also holds the two CPU hints
// written in assembly, PrefetchStore (prefetch.go) and SpinPause
// (pause.go). Outside this package
// only listener's Linux socket binding and tachyon-top's /proc readers call
// golang.org/x/sys/unix directly.
package sys
