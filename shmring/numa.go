package shmring

import (
	"errors"
	"fmt"
	"slices"

	"github.com/tachyon-ipc/tachyon-go/internal/sys"
)

// WithNUMANode makes Create bind the new segment to a NUMA node, as
// (*Ring).SetNUMANode does. It is a CreateOption because it configures the
// ring being created; conn.WithNUMANode, a connection Option, does the same
// for both rings of a connection.
func WithNUMANode(node int) CreateOption {
	return func(c *createConfig) error {
		if node < 0 {
			return fmt.Errorf("%w: %d", ErrNoNUMANode, node)
		}
		c.numaNode = node
		return nil
	}
}

// SetNUMANode makes the kernel place the ring's memory on a NUMA node
// (mbind with MPOL_PREFERRED, migrating pages already in place): the node of
// the CPUs that run the producer and consumer is where a ring is fastest. The
// policy belongs to the segment, so either side may set it, best right after
// Create or Attach.
//
// A node the machine does not have is an error that wraps ErrNoNUMANode. On a
// machine with a single node, or a kernel built without NUMA, all memory is
// node 0: binding to it is a no-op that succeeds.
func (r *Ring) SetNUMANode(node int) error {
	if !r.seg.enter() {
		return ErrClosed
	}
	defer r.seg.exit()
	return bindNUMANode(r.seg.mem, node)
}

func bindNUMANode(mem []byte, node int) error {
	nodes, err := sys.OnlineNUMANodes()
	if errors.Is(err, sys.ErrNoNUMA) {
		nodes, err = []int{0}, nil // the kernel knows one node, and no policies
	}
	if err != nil {
		return fmt.Errorf("shmring: list NUMA nodes: %w", err)
	}
	if !slices.Contains(nodes, node) {
		return fmt.Errorf("%w: %d (online nodes: %v)", ErrNoNUMANode, node, nodes)
	}
	if len(nodes) == 1 {
		return nil // one node holds all memory already
	}
	if err := sys.MbindPreferred(mem, node); err != nil {
		return fmt.Errorf("shmring: %w", err)
	}
	return nil
}
