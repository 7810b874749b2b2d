package sys

import (
	"sync"

	"golang.org/x/sys/unix"
)

// membarrier(2) commands.
const (
	membarrierQuery                    = 0
	membarrierGlobalExpedited          = 1 << 1
	membarrierRegisterGlobalExpedited  = 1 << 2
	membarrierPrivateExpedited         = 1 << 3
	membarrierRegisterPrivateExpedited = 1 << 4
)

// membarrier is one expedited membarrier(2) command, with the command that
// registers this process for it, run once on first use.
type membarrier struct {
	cmd, register uintptr
	once          sync.Once
	ok            bool
}

func (m *membarrier) available() bool {
	m.once.Do(func() {
		mask, _, errno := unix.Syscall(unix.SYS_MEMBARRIER, membarrierQuery, 0, 0)
		if errno != 0 || mask&m.cmd == 0 {
			return
		}
		_, _, errno = unix.Syscall(unix.SYS_MEMBARRIER, m.register, 0, 0)
		m.ok = errno == 0
	})
	return m.ok
}

func (m *membarrier) run() bool {
	if !m.available() {
		return false
	}
	_, _, errno := unix.Syscall(unix.SYS_MEMBARRIER, m.cmd, 0, 0)
	return errno == 0
}

var (
	processBarrier = membarrier{cmd: membarrierPrivateExpedited, register: membarrierRegisterPrivateExpedited}
	globalBarrier  = membarrier{cmd: membarrierGlobalExpedited, register: membarrierRegisterGlobalExpedited}
)

// ProcessBarrierAvailable reports whether ProcessBarrier works in this
// process: membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED), Linux 4.14 on,
// registered on the first call. Seccomp profiles and some sandboxes refuse
// it; callers then keep a barrier on their hot path.
func ProcessBarrierAvailable() bool { return processBarrier.available() }

// ProcessBarrier makes every running thread of this process execute a full
// memory barrier before it returns (threads not running have passed one
// when they were switched out). It needs ProcessBarrierAvailable; without
// it, it returns false and does nothing.
func ProcessBarrier() bool { return processBarrier.run() }

// GlobalBarrierAvailable reports whether GlobalBarrier works, and makes
// this process one that the GlobalBarrier calls of every process reach:
// membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED), Linux 4.16 on, this process
// registered (MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED) on the first call.
func GlobalBarrierAvailable() bool { return globalBarrier.available() }

// GlobalBarrier makes every running thread of every process registered by
// GlobalBarrierAvailable execute a full memory barrier before it returns:
// the cross-process counterpart of ProcessBarrier. It needs
// GlobalBarrierAvailable; without it, it returns false and does nothing.
func GlobalBarrier() bool { return globalBarrier.run() }
