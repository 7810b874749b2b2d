package grpcshm_test

import (
	"context"
	"testing"
	"time"

	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/tachyon-ipc/tachyon-go/conformance"
	"github.com/tachyon-ipc/tachyon-go/grpcshm"
	"github.com/tachyon-ipc/tachyon-go/listener"
)

// startDirect serves the interop test service on a grpcshm.Server at a
// fresh path and returns a Channel to it; both end with the test.
func startDirect(t *testing.T, sopts []grpcshm.ServerOption, copts ...grpcshm.ChannelOption) (*grpcshm.Server, *grpcshm.Channel, string) {
	t.Helper()
	path := sockPath(t)
	lis, err := grpcshm.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	s := grpcshm.NewServer(sopts...)
	conformance.RegisterTestService(s)
	done := make(chan error, 1)
	go func() { done <- s.Serve(lis) }()
	t.Cleanup(func() {
		s.Stop()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve after Stop: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return after Stop")
		}
	})
	ch, err := grpcshm.NewChannel(path, copts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ch.Close() })
	return s, ch, path
}

// TestDirectInterop runs gRPC's interop cases over the direct path.
func TestDirectInterop(t *testing.T) {
	_, ch, _ := startDirect(t, nil)
	conformance.RunGRPCCases(t, ch)
}

// BenchmarkDirectUnary is a 32-byte unary call over the direct path, with
// the server in this process.
func BenchmarkDirectUnary(b *testing.B) {
	path := b.TempDir() + "/s"
	lis, err := grpcshm.Listen(path)
	if err != nil {
		b.Fatal(err)
	}
	s := grpcshm.NewServer()
	conformance.RegisterTestService(s)
	go s.Serve(lis)
	defer s.Stop()
	ch, err := grpcshm.NewChannel(path)
	if err != nil {
		b.Fatal(err)
	}
	defer ch.Close()
	tc := testpb.NewTestServiceClient(ch)
	body := make([]byte, 32)
	for i := range body {
		body[i] = byte(i)
	}
	req := &testpb.SimpleRequest{ResponseSize: 32, Payload: &testpb.Payload{Body: body}}
	ctx := context.Background()
	if _, err := tc.UnaryCall(ctx, req); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := tc.UnaryCall(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

// TestDirectAbstractName: a Channel reaches a grpcshm.Server on a Linux
// abstract socket name ("@…"), with no file on disk.
func TestDirectAbstractName(t *testing.T) {
	lis, err := listener.ListenAbstract()
	if err != nil {
		t.Fatal(err)
	}
	s := grpcshm.NewServer()
	conformance.RegisterTestService(s)
	go s.Serve(lis)
	defer s.Stop()
	ch, err := grpcshm.NewChannel(lis.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	if _, err := testpb.NewTestServiceClient(ch).EmptyCall(context.Background(), &testpb.Empty{}); err != nil {
		t.Fatalf("EmptyCall over %s: %v", lis.Addr(), err)
	}
}
