// Package grpcshm runs gRPC over shared memory: a gRPC server serves on
// Listen, a client connects with NewClient, and every byte between them
// moves through a pair of Tachyon rings (packages conn and listener) instead
// of a socket.
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
// The defaults are what the measurements in bench_test.go (README, section
// "gRPC / HTTP / net/rpc") favour on small machines; see Tuning for what
// each knob does.
package grpcshm
