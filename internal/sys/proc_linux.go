package sys

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// DieWithParent returns process attributes that make a child process get
// SIGKILL when the thread that started it exits (PR_SET_PDEATHSIG).
func DieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// MonotonicNanos reads CLOCK_MONOTONIC, the clock C and C++ programs
// measure with.
func MonotonicNanos() int64 {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return ts.Nano()
}
