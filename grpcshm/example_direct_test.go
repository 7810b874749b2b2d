package grpcshm_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/tachyon-ipc/tachyon-go/grpcshm"
)

// The direct path: a grpcshm.Server in place of grpc.NewServer and a
// grpcshm.Channel in place of grpc.NewClient; the generated code is gRPC's
// own.
func ExampleNewChannel() {
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
	s := grpcshm.NewServer()
	healthpb.RegisterHealthServer(s, health.NewServer())
	go s.Serve(lis)
	defer s.Stop()

	ch, err := grpcshm.NewChannel(path)
	if err != nil {
		log.Fatal(err)
	}
	defer ch.Close()
	resp, err := healthpb.NewHealthClient(ch).Check(context.Background(), &healthpb.HealthCheckRequest{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Status)
	// Output: SERVING
}

// One grpcshm.Server answers both kinds of client on one path: a Channel
// (direct path) and grpcshm.NewClient (gRPC's HTTP/2 over shared memory).
func ExampleNewServer() {
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
	s := grpcshm.NewServer()
	healthpb.RegisterHealthServer(s, health.NewServer())
	go s.Serve(lis)
	defer s.Stop()

	ch, err := grpcshm.NewChannel(path)
	if err != nil {
		log.Fatal(err)
	}
	defer ch.Close()
	cc, err := grpcshm.NewClient(path)
	if err != nil {
		log.Fatal(err)
	}
	defer cc.Close()
	for name, c := range map[string]healthpb.HealthClient{"direct": healthpb.NewHealthClient(ch), "http2": healthpb.NewHealthClient(cc)} {
		resp, err := c.Check(context.Background(), &healthpb.HealthCheckRequest{})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(name, resp.Status)
	}
	// Unordered output:
	// direct SERVING
	// http2 SERVING
}
