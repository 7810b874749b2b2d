package grpcshm_test

import (
	"context"
	"math"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/grpcshm"
)

// resources is what a process holds that a connection must give back.
type resources struct {
	goroutines int
	fds        int // entries of /proc/self/fd
	memfds     int // mappings of conn's memfds in /proc/self/maps
}

// holding reports this process's resources.
func holding(t *testing.T) resources {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	return resources{goroutines: runtime.NumGoroutine(), fds: len(fds),
		memfds: strings.Count(string(maps), conn.MemfdPrefix)}
}

// within reports whether r holds no more than base.
func (r resources) within(base resources) bool {
	return r.goroutines <= base.goroutines && r.fds <= base.fds && r.memfds <= base.memfds
}

// awaitRelease polls, bounded, until the process holds no more than base.
func awaitRelease(t *testing.T, base resources) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for {
		now := holding(t)
		if now.within(base) {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("still held %+v, baseline %+v; goroutines:\n%s", now, base, buf)
		}
		runtime.Gosched()
		time.Sleep(5 * time.Millisecond) // polling interval, not synchronisation
	}
}

// 1 000 Channels opened, used and closed, with the server in this process
// (so both ends count): a plain call, a stream still open at Close, or a
// call cancelled in flight. Afterwards goroutines, descriptors and memfd
// mappings are back to what they were.
func TestDirectOpenCloseLeaks(t *testing.T) {
	h := newHeldCalls(1)
	s := grpcshm.NewServer()
	testpb.RegisterTestServiceServer(s, &h.hookServer)
	path := serveServer(t, s)
	ctx := testCtx(t)

	cycle := func(i int) error {
		ch, err := grpcshm.NewChannel(path)
		if err != nil {
			return err
		}
		defer ch.Close()
		tc := testpb.NewTestServiceClient(ch)
		switch i % 3 {
		case 0:
			_, err = tc.EmptyCall(ctx, &testpb.Empty{})
		case 1:
			var stream testpb.TestService_FullDuplexCallClient
			if stream, err = tc.FullDuplexCall(ctx); err == nil {
				if err = stream.Send(&testpb.StreamingOutputCallRequest{ResponseParameters: sizes(1)}); err == nil {
					_, err = stream.Recv()
				}
			}
			// Close with the stream open.
		case 2:
			cctx, cancel := context.WithCancel(ctx)
			errc := make(chan error, 1)
			go func() {
				_, err := tc.UnaryCall(cctx, &testpb.SimpleRequest{})
				errc <- err
			}()
			<-h.started
			cancel()
			if err = <-errc; err != nil && !strings.Contains(err.Error(), "Canceled") {
				return err
			}
			<-h.ended
			err = nil
		}
		return err
	}
	// Baseline: the server fully up (Serve starts its HTTP/2 server's
	// goroutine on its way), which one call ensures, and that call's
	// connection gone again.
	before := holding(t)
	if err := cycle(0); err != nil {
		t.Fatal(err)
	}
	awaitRelease(t, resources{goroutines: math.MaxInt, fds: before.fds, memfds: before.memfds})
	base := holding(t)
	const cycles = 1000
	start := time.Now()
	for i := range cycles {
		if err := cycle(i); err != nil {
			t.Fatalf("cycle %d: %v", i, err)
		}
	}
	t.Logf("%d cycles in %v", cycles, time.Since(start))
	awaitRelease(t, base)
}
