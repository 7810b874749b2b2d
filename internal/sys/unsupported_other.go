//go:build !linux

package sys

import (
	"errors"
	"net"
	"sync/atomic"
	"syscall"
	"time"
)

// Off Linux, every call of this package that needs a Linux system call
// fails with errUnsupported (SharedMemoryAvailable says why first), and the
// rest of the module takes the plain Unix-socket path. No descriptor of
// ours is ever created here, so Close and CloseAll have nothing to do.

var errUnsupported = platformSharedMemory()

// RequiredSeals: F_SEAL_SHRINK | F_SEAL_GROW on Linux; no seals exist here.
const RequiredSeals = 0

// MaxNUMANodes bounds the node numbers MbindPreferred accepts.
const MaxNUMANodes = 1024

// ErrNoNUMA means the system offers no NUMA memory policies.
var ErrNoNUMA = errors.New("kernel without NUMA support")

// ErrControlTruncated means the ancillary data of a message was cut short.
var ErrControlTruncated = errors.New("ancillary data truncated (MSG_CTRUNC)")

// FutexWait returns at once: callers always re-check their condition.
func FutexWait(word *atomic.Uint32, val uint32, timeout time.Duration) {}

// FutexWake does nothing.
func FutexWake(word *atomic.Uint32, n int) {}

// CreateSealedMemfd fails: there are no memfds.
func CreateSealedMemfd(name string, size int) (int, error) { return -1, errUnsupported }

// CheckSealedMemfd fails: there are no memfds.
func CheckSealedMemfd(fd int, size int) error { return errUnsupported }

// MapShared fails.
func MapShared(fd int, size int) ([]byte, error) { return nil, errUnsupported }

// Prefault fails.
func Prefault(mem []byte) error { return errUnsupported }

// MapReadOnly fails.
func MapReadOnly(fd int, size int) ([]byte, error) { return nil, errUnsupported }

// Unmap fails.
func Unmap(mem []byte) error { return errUnsupported }

// Close does nothing: no descriptor of ours exists here.
func Close(fd int) {}

// Dup fails.
func Dup(fd int) (int, error) { return -1, errUnsupported }

// FileSize fails.
func FileSize(fd int) (int64, error) { return 0, errUnsupported }

// ShrinkSealedSize fails.
func ShrinkSealedSize(fd int) (int64, error) { return 0, errUnsupported }

// SameRegularFile reports false.
func SameRegularFile(a, b int) bool { return false }

// OnlineNUMANodes fails with ErrNoNUMA.
func OnlineNUMANodes() ([]int, error) { return nil, ErrNoNUMA }

// MbindPreferred fails with ErrNoNUMA.
func MbindPreferred(mem []byte, node int) error { return ErrNoNUMA }

// PinProcess fails.
func PinProcess(cpus []int) error { return errUnsupported }

// YieldCPU does nothing.
func YieldCPU() {}

// SendFds fails.
func SendFds(c *net.UnixConn, data []byte, fds ...int) error { return errUnsupported }

// RecvFds fails.
func RecvFds(c *net.UnixConn, buf []byte, maxFds int) (n int, fds []int, err error) {
	return 0, nil, errUnsupported
}

// CloseAll does nothing: no descriptor of ours exists here.
func CloseAll(fds []int) {}

// PeerCred fails.
func PeerCred(c *net.UnixConn) (pid int32, uid, gid uint32, err error) {
	return 0, 0, 0, errUnsupported
}

// NewWakePair fails.
func NewWakePair() (ours, theirs int, err error) { return -1, -1, errUnsupported }

// CheckWakeEnd fails.
func CheckWakeEnd(fd int) error { return errUnsupported }

// SendWake does nothing.
func SendWake(fd int) {}

// DrainWake fails.
func DrainWake(fd int) (eof bool, err error) { return false, errUnsupported }

// SocketPair fails.
func SocketPair() (a, b int, err error) { return -1, -1, errUnsupported }

// DieWithParent returns nil: the child outlives its parent here.
func DieWithParent() *syscall.SysProcAttr { return nil }

// MonotonicNanos returns 0: only Linux's C++ peers read CLOCK_MONOTONIC.
func MonotonicNanos() int64 { return 0 }
