package shmring_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/tachyon-ipc/tachyon-go/internal/sys"
	"github.com/tachyon-ipc/tachyon-go/shmring"
)

// missingNode returns a NUMA node number this machine does not have.
func missingNode(t *testing.T) int {
	nodes, err := sys.OnlineNUMANodes()
	if errors.Is(err, sys.ErrNoNUMA) {
		return 1
	}
	if err != nil {
		t.Fatal(err)
	}
	return slices.Max(nodes) + 1
}

func TestNUMANodeZero(t *testing.T) {
	r, err := shmring.Create("tachyon-go-numa-test", 1<<16, shmring.WithNUMANode(0))
	if err != nil {
		t.Fatalf("create on node 0: %v", err)
	}
	defer r.Close()
	if err := r.SetNUMANode(0); err != nil {
		t.Fatalf("SetNUMANode(0): %v", err)
	}
	// The bound ring works like any other.
	p, _ := r.Producer()
	c, _ := r.Consumer()
	if err := p.Send(t.Context(), 1, []byte("numa")); err != nil {
		t.Fatal(err)
	}
	if f, err := c.Acquire(); err != nil || string(f.Payload) != "numa" {
		t.Fatalf("got %q, %v", f.Payload, err)
	}
}

func TestNUMABogusNode(t *testing.T) {
	bogus := missingNode(t)
	for _, node := range []int{bogus, 4096, -1} {
		r, err := shmring.Create("tachyon-go-numa-test", 1<<16, shmring.WithNUMANode(node))
		if err == nil {
			r.Close()
			t.Fatalf("create on node %d succeeded", node)
		}
		if !errors.Is(err, shmring.ErrNoNUMANode) {
			t.Fatalf("node %d: got %v, want ErrNoNUMANode", node, err)
		}
		if !strings.Contains(err.Error(), "node") {
			t.Fatalf("unclear error: %v", err)
		}
		t.Logf("node %d: %v", node, err)
	}
	r, err := shmring.Create("tachyon-go-numa-test", 1<<16)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.SetNUMANode(bogus); !errors.Is(err, shmring.ErrNoNUMANode) {
		t.Fatalf("SetNUMANode(%d): got %v, want ErrNoNUMANode", bogus, err)
	}
	r.Close()
	if err := r.SetNUMANode(0); !errors.Is(err, shmring.ErrClosed) {
		t.Fatalf("SetNUMANode on a closed ring: got %v, want ErrClosed", err)
	}
}
