package grpcbench_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/internal/grpcbench"
	"github.com/tachyon-ipc/tachyon-go/internal/peerproc"
)

func TestMain(m *testing.M) {
	peerproc.Run()
	os.Exit(m.Run())
}

// Every transport, local and (but bufconn) remote, carries both loads, and
// the tuning knobs are accepted on both sides.
func TestTransports(t *testing.T) {
	tunings := map[string]grpcbench.Tuning{
		"default": {},
		"plain":   {Plain: true},
		"tuned": {Spin: grpcbench.NoSpin, RingSize: 1 << 20, StreamWorkers: 2,
			ReadBuffer: 64 << 10, WriteBuffer: -1, Window: 4 << 20},
	}
	for _, tr := range []string{grpcbench.Shm, grpcbench.Unix, grpcbench.TCP, grpcbench.Bufconn} {
		for _, remote := range []bool{false, true} {
			if remote && tr == grpcbench.Bufconn {
				if _, err := grpcbench.StartServer(tr, grpcbench.Tuning{}); err == nil {
					t.Error("remote bufconn server started")
				}
				continue
			}
			for name, tu := range tunings {
				where := "local"
				if remote {
					where = "remote"
				}
				t.Run(tr+"/"+where+"/"+name, func(t *testing.T) { exercise(t, tr, remote, tu) })
			}
		}
	}
}

func exercise(t *testing.T, transport string, remote bool, tu grpcbench.Tuning) {
	start := grpcbench.StartLocalServer
	if remote {
		start = grpcbench.StartServer
	}
	srv, err := start(transport, tu)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}()
	if remote == (srv.Pid() == os.Getpid()) {
		t.Errorf("server pid %d, remote %v", srv.Pid(), remote)
	}
	cc, err := srv.Dial(tu)
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	l := grpcbench.Load{Size: 1 << 10, Concurrency: 2, Duration: 20 * time.Millisecond, Warmup: time.Millisecond}
	res, err := grpcbench.Unary(ctx, cc, l)
	if err != nil {
		t.Fatalf("Unary: %v", err)
	}
	if res.Msgs == 0 || uint64(res.Msgs) != res.Hist.Count() || res.Bytes != res.Msgs*int64(l.Size) {
		t.Errorf("Unary result %+v (histogram of %d)", res, res.Hist.Count())
	}
	// Calls went both ways over shared memory (gRPC may coalesce
	// concurrent calls into one write, hence no exact count).
	tx, rx := cc.ShmStats()
	if shm := transport == grpcbench.Shm; shm != (tx.Frames > 0 && rx.Frames > 0) {
		t.Errorf("over %s: client frames sent %d, received %d, for %d calls", transport, tx.Frames, rx.Frames, res.Msgs)
	}
	res, err = grpcbench.ServerStream(ctx, cc, l)
	if err != nil {
		t.Fatalf("ServerStream: %v", err)
	}
	if res.Msgs == 0 || res.Bytes != res.Msgs*int64(l.Size) {
		t.Errorf("ServerStream result %+v", res)
	}
}
