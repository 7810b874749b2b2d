package grpcbench_test

import (
	"context"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/internal/grpcbench"
)

// A server in another process answers for its own allocations, which grow
// as it serves, and Unary with Load.Allocs counts both ends': grpc-go over
// a Unix socket allocates more a call than this process alone does.
func TestAllocsAcrossProcesses(t *testing.T) {
	srv, err := grpcbench.StartServer(grpcbench.Unix, grpcbench.Tuning{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cc, err := srv.Dial(grpcbench.Tuning{})
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	first, err := srv.Allocs()
	if err != nil || first == 0 {
		t.Fatalf("the server's allocations: %d, %v", first, err)
	}
	self := grpcbench.HeapAllocs()
	l := grpcbench.Load{Size: 32, Concurrency: 1, Duration: 50 * time.Millisecond, Allocs: srv.Allocs}
	res, err := grpcbench.Unary(ctx, cc, l)
	if err != nil {
		t.Fatal(err)
	}
	selfThen := grpcbench.HeapAllocs()
	then, err := srv.Allocs()
	if err != nil || then <= first {
		t.Fatalf("the server's allocations went from %d to %d (%v) over %d calls", first, then, err, res.Msgs)
	}
	if !res.AllocsMeasured || res.Msgs == 0 {
		t.Fatalf("no count: %+v", res)
	}
	// Counted around the whole Unary, both processes' allocations hold the
	// phase's and a little more (Unary's setup, the questions); a count
	// that left out the server would hold about half.
	around := int64(selfThen-self) + int64(then-first)
	if res.Allocs > around || float64(res.Allocs) < 0.95*float64(around) {
		t.Errorf("%d allocations counted over %d calls, %d around them in both processes", res.Allocs, res.Msgs, around)
	}
	t.Logf("%.1f allocations a call over a Unix socket, both ends", float64(res.Allocs)/float64(res.Msgs))

	l.Allocs = nil
	if res, err := grpcbench.Unary(ctx, cc, l); err != nil || res.AllocsMeasured {
		t.Errorf("without Load.Allocs: %+v, %v", res, err)
	}
	local, err := grpcbench.StartLocalServer(grpcbench.Bufconn, grpcbench.Tuning{})
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	if n, err := local.Allocs(); n != 0 || err != nil {
		t.Errorf("a server in this process answered %d, %v; want 0 (HeapAllocs counts it)", n, err)
	}
}
