package bench

import "github.com/tachyon-ipc/tachyon-go/internal/sys"

// PinProcess restricts every thread of this process to cpus (see
// sys.PinProcess); callers treat pinning as best effort.
func PinProcess(cpus []int) error { return sys.PinProcess(cpus) }

// yieldCPU gives the CPU to another runnable thread, if any. A spinning side
// calls it when its peer has kept it waiting for a while: the peer may be
// waiting for this very CPU.
func yieldCPU() { sys.YieldCPU() }
