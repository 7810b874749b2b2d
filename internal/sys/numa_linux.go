package sys

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Memory policy values from <linux/mempolicy.h>; x/sys/unix does not define
// them.
const (
	mpolPreferred = 1 // MPOL_PREFERRED: allocate on the node, fall back elsewhere
	mpolMFMove    = 2 // MPOL_MF_MOVE: migrate pages already faulted in
)

// MaxNUMANodes bounds the node numbers MbindPreferred accepts (the kernel's
// own limit, MAX_NUMNODES, is at most 1024).
const MaxNUMANodes = 1024

// nodeDir is where the kernel lists NUMA nodes; a variable so tests can point
// it at a fake tree.
var nodeDir = "/sys/devices/system/node"

// ErrNoNUMA means the kernel was built without NUMA support: it knows no
// node list and no memory policies, and all memory is one node, 0.
var ErrNoNUMA = errors.New("kernel without NUMA support")

// OnlineNUMANodes returns the NUMA nodes that have come online, in order, from
// /sys/devices/system/node/online (e.g. "0" or "0-1,4"). It returns ErrNoNUMA
// when the kernel has no node list.
func OnlineNUMANodes() ([]int, error) {
	b, err := os.ReadFile(nodeDir + "/online")
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNoNUMA
	}
	if err != nil {
		return nil, err
	}
	return parseNodeList(strings.TrimSpace(string(b)))
}

// parseNodeList parses the kernel's list format: comma-separated numbers and
// inclusive ranges.
func parseNodeList(s string) ([]int, error) {
	var nodes []int
	for part := range strings.SplitSeq(s, ",") {
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			return nil, fmt.Errorf("NUMA node list %q: %w", s, err)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil {
				return nil, fmt.Errorf("NUMA node list %q: %w", s, err)
			}
		}
		if a < 0 || b < a || b >= MaxNUMANodes {
			return nil, fmt.Errorf("NUMA node list %q: bad range %q", s, part)
		}
		for n := a; n <= b; n++ {
			nodes = append(nodes, n)
		}
	}
	return nodes, nil
}

// MbindPreferred sets the memory policy of the mapping mem (page-aligned, as
// every mapping is) to MPOL_PREFERRED for node, and migrates the pages
// already faulted in (MPOL_MF_MOVE). On a shared memfd the policy belongs to
// the file, so every process that maps it allocates there.
func MbindPreferred(mem []byte, node int) error {
	if node < 0 || node >= MaxNUMANodes {
		return fmt.Errorf("mbind: NUMA node %d out of range [0, %d)", node, MaxNUMANodes)
	}
	if len(mem) == 0 {
		return nil
	}
	var mask [MaxNUMANodes / 64]uint64
	mask[node/64] = 1 << (node % 64)
	words := node/64 + 1
	// The kernel reads maxnode-1 bits (a historical off-by-one every caller
	// compensates for).
	maxnode := uintptr(words*64 + 1)
	_, _, errno := unix.Syscall6(unix.SYS_MBIND, uintptr(unsafe.Pointer(unsafe.SliceData(mem))),
		uintptr(len(mem)), mpolPreferred, uintptr(unsafe.Pointer(&mask[0])), maxnode, mpolMFMove)
	if errno != 0 {
		return fmt.Errorf("mbind MPOL_PREFERRED node %d: %w", node, errno)
	}
	return nil
}
