// Command client calls the echo server of ../server: over shared memory when
// the target is a socket path, over TCP when it is a gRPC target such as
// dns:///127.0.0.1:50051. The code is the same for both. By default it calls
// through a grpcshm.Channel (the direct path: gRPC's API without HTTP/2);
// with -http2, through a grpc.ClientConn from grpcshm.NewClient (HTTP/2 over
// shared memory).
//
//	go run ./examples/grpc/client -target /tmp/tachyon-grpc.sock -msg hello
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/peer"

	"github.com/tachyon-ipc/tachyon-go/grpcshm"
)

func main() {
	target := flag.String("target", "/tmp/tachyon-grpc.sock", "socket path (shared memory) or gRPC target (e.g. dns:///host:50051)")
	msg := flag.String("msg", "hello", "message to echo")
	http2 := flag.Bool("http2", false, "use gRPC's HTTP/2 transport over shared memory instead of the direct path")
	flag.Parse()

	creds := grpc.WithTransportCredentials(grpcshm.CredentialsOr(insecure.NewCredentials()))
	var cc interface {
		grpc.ClientConnInterface
		Close() error
	}
	var err error
	if *http2 {
		cc, err = grpcshm.NewClient(*target, creds)
	} else {
		// grpc.NewClient(...) → grpcshm.NewChannel(...): the one-line
		// migration; a remote target gets a grpc.ClientConn underneath.
		cc, err = grpcshm.NewChannel(*target, grpcshm.WithGRPCDialOptions(creds))
	}
	if err != nil {
		log.Fatal(err)
	}
	defer cc.Close()
	client := testpb.NewTestServiceClient(cc)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	var p peer.Peer
	resp, err := client.UnaryCall(ctx, &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte(*msg)}}, grpc.Peer(&p))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("echo: %s\n", resp.Payload.Body)
	fmt.Printf("connection: %s (%s); the server saw us as %s; we are pid %d\n",
		p.Addr.Network(), p.AuthInfo.AuthType(), resp.Username, os.Getpid())
	path := "direct"
	if *http2 {
		path = "http2"
	}
	fmt.Println("path:", path)

	stream, err := client.StreamingOutputCall(ctx, &testpb.StreamingOutputCallRequest{
		ResponseParameters: []*testpb.ResponseParameters{{Size: 1 << 10}, {Size: 64 << 10}, {Size: 1 << 20}},
	})
	if err != nil {
		log.Fatal(err)
	}
	total, n := 0, 0
	for {
		m, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		total += len(m.Payload.Body)
		n++
	}
	fmt.Printf("streamed: %d messages, %d bytes\n", n, total)
}
