// Package grpcshm runs gRPC over shared memory, two ways on one listener.
//
// The direct path keeps gRPC's API and drops its HTTP/2 transport: a Server
// (grpc.ServiceRegistrar) and a Channel (grpc.ClientConnInterface) carry
// calls as frames of a pair of Tachyon rings (packages conn and listener),
// so generated stubs, metadata, status codes, deadlines, cancellation and
// interceptors work unchanged, with none of HTTP/2's framing, flow-control
// frames or goroutine hand-offs. Migrating is one line on each side:
//
//	lis, err := grpcshm.Listen("/run/svc.sock")
//	s := grpcshm.NewServer()                  // was grpc.NewServer()
//	pb.RegisterFooServer(s, impl)
//	go s.Serve(lis)
//
//	ch, err := grpcshm.NewChannel("/run/svc.sock") // was grpc.NewClient(...)
//	client := pb.NewFooClient(ch)
//
// The same Server also serves gRPC's own HTTP/2 clients on the same path
// (NewClient below, or grpc.NewClient with Dialer), and on a TCP listener
// passed to Serve, through a grpc.Server it holds with the same
// registrations. A Channel given a target that is not local (for instance
// "dns:///host:50051") uses a grpc.ClientConn underneath, so one client code
// path reaches a local replica over shared memory and a remote one over the
// network. ABI.md §7 documents the direct path's frames.
//
// On the direct path a proto message that fits one frame is marshalled
// straight into the ring, and decoded straight from it: by the client, and
// by the server for a unary request (its handler's decode then consumes
// the request: a second decode fails with codes.Internal).
//
// The HTTP/2 path: any grpc.Server serves on Listen, and a client
// connects with NewClient:
//
//	lis, err := grpcshm.Listen("/run/svc.sock")
//	s := grpc.NewServer()
//	pb.RegisterFooServer(s, impl)
//	go s.Serve(lis)
//
//	cc, err := grpcshm.NewClient("/run/svc.sock")
//	client := pb.NewFooClient(cc)
//
// NewClient needs no options: it supplies the shared-memory dialer and the
// shared-memory transport credentials itself. The credentials exchange no
// bytes (the kernel, which checked the peer's credentials when the rings were
// set up, is the trust boundary), so a server using them talks to a client
// that does not, and the other way round. With them a handler learns who
// called it:
//
//	s := grpc.NewServer(grpc.Creds(grpcshm.Credentials()))
//	...
//	if ai, ok := grpcshm.PeerFromContext(ctx); ok && ai.UID == 0 { ... }
//
// # Targets
//
// NewClient treats a target that starts with "/", "./" or "../", or that
// uses the "shm" scheme ("shm:///run/svc.sock", registered by this package),
// as a local shared-memory path. Any other target ("dns:///host:50051",
// "host:50051", "unix:///run/svc.sock") is handed to gRPC unchanged and
// dialled with gRPC's own dialer, so the same client code talks to a remote
// replica of the service; give it credentials that work for both, for
// instance CredentialsOr(yourTLSCredentials).
//
// With grpc.NewClient directly, use the "shm" scheme with Dialer:
// grpc.NewClient("shm:///run/svc.sock", grpc.WithContextDialer(grpcshm.Dialer),
// grpc.WithTransportCredentials(grpcshm.Credentials())). Avoid
// "passthrough:///abs/path": gRPC strips the path's leading "/".
//
// # Tuning
//
// The direct path asks for 8 MiB rings (DirectRingSize), keeps 8 MiB
// windows per call (DefaultWindow) and spins 100 µs before parking
// (DefaultSpin); see their docs. Both ends write with early wrap
// (conn.WithFramesEarlyWrap at 256 KiB), so small calls keep near the
// start of those rings. For the HTTP/2 path,
// Listen gives each connection 1 MiB rings (DefaultRingSize), and
// NewClient sets static 8 MiB windows and 256 KiB read and write buffers
// (Window, BufferSize); ServerOptions returns the same settings for the
// server. Each gRPC flow-control stall or full ring is a wake-up between the
// processes, so these cut a 1 MiB call from 13–15 wake-ups to 2–5 and its
// p50 by about a fifth; small messages do not notice them.
//
// On the HTTP/2 path, what sets the latency of a small call is whether the
// processes have to wake each other. By default a blocked side spins for at most 20 µs
// (adaptive) before it parks, which gRPC's round trip always outlasts: every
// call then costs two cross-process wake-ups, as over a Unix socket, and the
// two perform alike. When the client and the server run on CPUs of their
// own (pinned, e.g. with taskset, to different cores), a spin budget longer
// than the round trip on both sides removes the wake-ups and cuts the p50 of
// a 32-byte call about sevenfold on a 2-vCPU VM, below in-process bufconn:
//
//	lis, _ := grpcshm.Listen(path, listener.WithConnOptions(conn.WithSpin(200*time.Microsecond)))
//	cc, _ := grpcshm.NewClient(path, grpc.WithContextDialer(grpcshm.NewDialer(conn.WithSpin(200*time.Microsecond))))
//
// Without such pinning, long spins compete with the peer for the same CPUs
// and make calls slower; keep the default.
//
// With large messages, the garbage collector costs more than the transport.
// Generated code allocates every message it decodes, so a process whose live
// heap is a few MiB collects every few 1 MiB calls, and the direct path
// moves such a call in less time than one concurrent collection takes: on a
// 2-vCPU VM, unary 1 MiB calls between two such processes ran at 0.30-0.40×
// the p50 of gRPC over a Unix socket with the default GOGC and at
// 0.14-0.16× with GOGC=400 in both (tachyon-bench -gogc), while a frame
// ping-pong between two processes with no gRPC that decodes each message
// with protobuf, as generated code does (tachyon-bench's
// shm-frames/ping-pong-proto), ran at 0.31-0.34×. A service with a
// larger live heap, a higher GOGC, or GOGC=off with a GOMEMLIMIT collects
// less often. Each decoded message also lands on pages the runtime has
// given back to the kernel since the last collection: 36-39 page faults a
// 1 MiB call there, at 12-16 µs each on that VM. GODEBUG=madvdontneed=0
// (the runtime frees with MADV_FREE, which keeps the pages mapped) took that
// to under one: 667-746 calls/s against 511-698 without it, and a p50 of
// 0.30-0.42× the Unix socket's against 0.35-0.48× (gRPC over a Unix socket
// made 289-345 calls/s in the same runs).
//
// The README's "gRPC / HTTP / net/rpc" section has the measurements; this
// package's TestGRPCComparison (go test -run GRPCComparison -grpc.compare
// ./grpcshm) reproduces them.
package grpcshm
