// Package grpcbench builds the gRPC benchmark setups shared by
// grpcshm/bench_test.go and the tachyon-bench command: a benchmark service
// (grpc.testing.BenchmarkService: echo-sized unary calls and a server
// stream), servers and clients over each transport with the same tuning on
// both sides, a server in another process, and the measuring loops.
//
// Transports: Shm (grpcshm as users call it: grpcshm.Listen,
// grpcshm.ServerOptions, grpcshm.NewClient), Unix and TCP (kernel sockets,
// gRPC's defaults) with the server in another process or in this one, and
// Bufconn (grpc-go's in-process test/bufconn, the floor for gRPC itself) in
// this process only. Tuning changes any of them the same way.
//
// A binary that starts remote servers calls peerproc.Run first thing (in
// TestMain or main); the server role registers itself when this package
// initialises.
//
//	srv, err := grpcbench.StartServer(grpcbench.Shm, tuning) // another process
//	defer srv.Close()
//	cc, err := srv.Dial(tuning)
//	defer cc.Close()
//	res, err := grpcbench.Unary(ctx, cc, grpcbench.Load{Size: 32, Concurrency: 16, Duration: time.Second})
//	tx, rx := cc.ShmStats() // the client's ring counters: wake-ups, parks, spin wins
package grpcbench
