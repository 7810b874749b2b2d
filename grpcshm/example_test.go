package grpcshm_test

import (
	"context"
	"fmt"
	"log"
	"net"
	"os"
	"path/filepath"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/peer"

	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/grpcshm"
	"github.com/tachyon-ipc/tachyon-go/listener"
)

// A plain gRPC server on grpcshm.Listen and a client made by
// grpcshm.NewClient, with no options on either side.
func ExampleNewClient() {
	dir, err := os.MkdirTemp("", "grpcshm-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "health.sock")

	lis, err := grpcshm.Listen(path)
	if err != nil {
		log.Fatal(err)
	}
	s := grpc.NewServer()
	healthpb.RegisterHealthServer(s, health.NewServer())
	go s.Serve(lis)
	defer s.Stop()

	cc, err := grpcshm.NewClient(path)
	if err != nil {
		log.Fatal(err)
	}
	defer cc.Close()
	resp, err := healthpb.NewHealthClient(cc).Check(context.Background(), &healthpb.HealthCheckRequest{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Status)
	// Output: SERVING
}

// A handler (here an interceptor) authorises its caller by the process
// credentials the kernel reported when the rings were set up.
func ExamplePeerFromContext() {
	dir, err := os.MkdirTemp("", "grpcshm-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "health.sock")

	sameUser := func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		ai, ok := grpcshm.PeerFromContext(ctx)
		fmt.Println("over shared memory:", ok, "same user:", ai.UID == os.Getuid(), "level:", ai.SecurityLevel)
		return h(ctx, req)
	}
	lis, err := grpcshm.Listen(path)
	if err != nil {
		log.Fatal(err)
	}
	s := grpc.NewServer(grpc.Creds(grpcshm.Credentials()), grpc.UnaryInterceptor(sameUser))
	healthpb.RegisterHealthServer(s, health.NewServer())
	go s.Serve(lis)
	defer s.Stop()

	cc, err := grpcshm.NewClient(path)
	if err != nil {
		log.Fatal(err)
	}
	defer cc.Close()
	if _, err := healthpb.NewHealthClient(cc).Check(context.Background(), &healthpb.HealthCheckRequest{}); err != nil {
		log.Fatal(err)
	}
	// Output: over shared memory: true same user: true level: PrivacyAndIntegrity
}

// With grpc.NewClient directly: the "shm" scheme keeps the path whole, and
// Dialer makes the connection.
func ExampleDialer() {
	dir, err := os.MkdirTemp("", "grpcshm-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "health.sock")
	lis, err := grpcshm.Listen(path)
	if err != nil {
		log.Fatal(err)
	}
	s := grpc.NewServer()
	healthpb.RegisterHealthServer(s, health.NewServer())
	go s.Serve(lis)
	defer s.Stop()

	cc, err := grpc.NewClient("shm://"+path,
		grpc.WithContextDialer(grpcshm.Dialer),
		grpc.WithTransportCredentials(grpcshm.Credentials()))
	if err != nil {
		log.Fatal(err)
	}
	defer cc.Close()
	resp, err := healthpb.NewHealthClient(cc).Check(context.Background(), &healthpb.HealthCheckRequest{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Status)
	// Output: SERVING
}

// One server on shared memory and on TCP, and one client function for both
// kinds of target: shared memory when the target is a local path, TCP (with
// the fallback credentials) otherwise. Use TLS credentials in place of
// insecure ones between machines.
func ExampleCredentialsOr() {
	dir, err := os.MkdirTemp("", "grpcshm-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	creds := grpcshm.CredentialsOr(insecure.NewCredentials())

	s := grpc.NewServer(grpc.Creds(creds))
	healthpb.RegisterHealthServer(s, health.NewServer())
	shmLis, err := grpcshm.Listen(filepath.Join(dir, "health.sock"))
	if err != nil {
		log.Fatal(err)
	}
	tcpLis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go s.Serve(shmLis)
	go s.Serve(tcpLis)
	defer s.Stop()

	for _, target := range []string{shmLis.Addr().String(), "dns:///" + tcpLis.Addr().String()} {
		cc, err := grpcshm.NewClient(target, grpc.WithTransportCredentials(creds))
		if err != nil {
			log.Fatal(err)
		}
		var p peer.Peer
		_, err = healthpb.NewHealthClient(cc).Check(context.Background(), &healthpb.HealthCheckRequest{}, grpc.Peer(&p))
		cc.Close()
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(p.Addr.Network(), p.AuthInfo.AuthType())
	}
	// Output:
	// shm shm
	// tcp insecure
}

// A server with the shared-memory tuning and rings of 4 MiB per direction
// for a service that moves large messages.
func ExampleListen() {
	dir, err := os.MkdirTemp("", "grpcshm-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "big.sock")

	lis, err := grpcshm.Listen(path, listener.WithConnOptions(conn.WithRingSize(4<<20)))
	if err != nil {
		log.Fatal(err)
	}
	s := grpc.NewServer(grpcshm.ServerOptions()...)
	healthpb.RegisterHealthServer(s, health.NewServer())
	go s.Serve(lis)
	defer s.Stop()

	cc, err := grpcshm.NewClient(path)
	if err != nil {
		log.Fatal(err)
	}
	defer cc.Close()
	resp, err := healthpb.NewHealthClient(cc).Check(context.Background(), &healthpb.HealthCheckRequest{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Status)
	// Output: SERVING
}
