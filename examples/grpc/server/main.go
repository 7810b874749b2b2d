// Command server serves a gRPC echo service (grpc.testing.TestService's
// UnaryCall and StreamingOutputCall) over shared memory, and with -tcp over
// TCP as well, from one grpcshm.Server: grpcshm.Channel clients get the
// direct path (no HTTP/2), HTTP/2 clients (grpcshm.NewClient, or any gRPC
// client over TCP) get a grpc.Server with the same registrations.
//
//	go run ./examples/grpc/server -socket /tmp/tachyon-grpc.sock
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"syscall"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/peer"

	"github.com/tachyon-ipc/tachyon-go/grpcshm"
)

func main() {
	socket := flag.String("socket", "/tmp/tachyon-grpc.sock", "Unix socket path of the shared-memory listener")
	tcpAddr := flag.String("tcp", "", "also serve on this TCP address, e.g. 127.0.0.1:50051")
	flag.Parse()

	// grpc.NewServer(...) → grpcshm.NewServer(...): the one-line
	// migration. Shared-memory callers get peer-credential AuthInfo on both
	// paths; TCP ones the fallback credentials' (use TLS between machines).
	s := grpcshm.NewServer(grpcshm.WithGRPCServerOptions(
		grpc.Creds(grpcshm.CredentialsOr(insecure.NewCredentials()))))
	testpb.RegisterTestServiceServer(s, echoServer{})

	lis, err := grpcshm.Listen(*socket)
	if err != nil {
		log.Fatal(err)
	}
	go s.Serve(lis)
	fmt.Println("serving on", lis.Addr())
	if *tcpAddr != "" {
		tl, err := net.Listen("tcp", *tcpAddr)
		if err != nil {
			log.Fatal(err)
		}
		go s.Serve(tl)
		fmt.Println("serving on tcp", tl.Addr())
	}

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	<-stop
	s.GracefulStop()
	fmt.Println("stopped")
}

type echoServer struct {
	testpb.UnimplementedTestServiceServer
}

// UnaryCall echoes the payload and says who called.
func (echoServer) UnaryCall(ctx context.Context, req *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	return &testpb.SimpleResponse{Payload: req.Payload, Username: caller(ctx)}, nil
}

// StreamingOutputCall sends one message per requested size.
func (echoServer) StreamingOutputCall(req *testpb.StreamingOutputCallRequest, stream grpc.ServerStreamingServer[testpb.StreamingOutputCallResponse]) error {
	for _, p := range req.ResponseParameters {
		msg := &testpb.StreamingOutputCallResponse{Payload: &testpb.Payload{Body: make([]byte, p.Size)}}
		if err := stream.Send(msg); err != nil {
			return err
		}
	}
	return nil
}

// caller describes the peer: over shared memory the kernel told us its
// process credentials.
func caller(ctx context.Context) string {
	if ai, ok := grpcshm.PeerFromContext(ctx); ok {
		return fmt.Sprintf("pid %d uid %d over shared memory", ai.PID, ai.UID)
	}
	if p, ok := peer.FromContext(ctx); ok {
		return fmt.Sprintf("%s over %s", p.Addr, p.Addr.Network())
	}
	return "unknown"
}
