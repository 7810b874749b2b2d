package conformance

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/tachyon-ipc/tachyon-go/conn"
)

// Soak iterations: the long mode, and the -short mode CI runs.
const (
	SoakIterations      = 1000
	ShortSoakIterations = 50
)

// RunSoak serves the interop TestService on a listener from tr and, per
// iteration, opens a new gRPC client connection, makes one call and closes
// it. Afterwards goroutines, open file descriptors and shared-memory
// mappings (lines of /proc/self/maps naming a conn.MemfdPrefix memfd) must
// return to what they were before the first iteration.
func RunSoak(t *testing.T, tr Transport) {
	n := SoakIterations
	if testing.Short() {
		n = ShortSoakIterations
	}
	lis := listen(t, tr)
	s := grpc.NewServer()
	RegisterTestService(s)
	serveGRPC(t, s, lis)

	base, err := measure()
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := soakOnce(tr, lis); err != nil {
			t.Fatalf("iteration %d: %v", i, err)
		}
	}
	// The server's side of each connection ends asynchronously: poll,
	// yielding, for at most waitLimit.
	var now resources
	deadline := time.Now().Add(waitLimit)
	for {
		if now, err = measure(); err != nil {
			t.Fatal(err)
		}
		if now.within(base) || time.Now().After(deadline) {
			break
		}
		runtime.Gosched()
	}
	if !now.within(base) {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Fatalf("after %d connections: %v, baseline %v\ngoroutines:\n%s", n, now, base, buf)
	}
	t.Logf("%d connections; resources %v, baseline %v", n, now, base)
}

// soakOnce opens a client connection, makes one call and closes it.
func soakOnce(tr Transport, lis net.Listener) error {
	cc, err := newGRPCClient(tr, lis)
	if err != nil {
		return err
	}
	defer cc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	_, err = testpb.NewTestServiceClient(cc).EmptyCall(ctx, &testpb.Empty{}, grpc.WaitForReady(true))
	return err
}

// resources are the process resources a connection holds.
type resources struct {
	goroutines int
	fds        int
	mappings   int // shared-memory mappings
}

func (r resources) within(base resources) bool {
	return r.goroutines <= base.goroutines && r.fds <= base.fds && r.mappings <= base.mappings
}

func (r resources) String() string {
	return fmt.Sprintf("%d goroutines, %d fds, %d mappings", r.goroutines, r.fds, r.mappings)
}

func measure() (resources, error) {
	r := resources{goroutines: runtime.NumGoroutine()}
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return r, err
	}
	r.fds = len(fds)
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return r, err
	}
	sc := bufio.NewScanner(bytes.NewReader(maps))
	for sc.Scan() {
		if strings.Contains(sc.Text(), conn.MemfdPrefix) {
			r.mappings++
		}
	}
	return r, sc.Err()
}
