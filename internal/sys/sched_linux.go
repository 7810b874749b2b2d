package sys

import (
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// PinProcess restricts every thread of this process to cpus with
// sched_setaffinity; threads the runtime starts later inherit the mask. It
// fails where pinning is not allowed (a container's cpuset, a seccomp
// filter) or a CPU does not exist; callers treat pinning as best effort.
func PinProcess(cpus []int) error {
	var set unix.CPUSet
	for _, c := range cpus {
		set.Set(c)
	}
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return fmt.Errorf("pinning: %w", err)
	}
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		if err := unix.SchedSetaffinity(tid, &set); err != nil && err != unix.ESRCH {
			return fmt.Errorf("pinning to CPUs %v: %w", cpus, err)
		}
	}
	return nil
}

// YieldCPU gives the CPU to another runnable thread, if any (sched_yield).
func YieldCPU() { unix.Syscall(unix.SYS_SCHED_YIELD, 0, 0, 0) }
