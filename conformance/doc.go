// Package conformance checks that a net.Listener and a dialer behave enough
// like a kernel socket for Go's stacks to run over them unchanged: the
// net.Conn contract (golang.org/x/net/nettest), the gRPC interop cases,
// HTTP/1.1 and HTTP/2 cleartext, net/rpc, and a soak that opens a gRPC
// client connection per iteration and checks that goroutines, file
// descriptors and shared-memory mappings return to their baseline.
//
// Point it at any transport from a test:
//
//	func TestMyTransport(t *testing.T) {
//		conformance.Run(t, conformance.Transport{
//			Listen: func() (net.Listener, error) { return mytransport.Listen(path) },
//			Dial: func(ctx context.Context, addr net.Addr) (net.Conn, error) {
//				return mytransport.Dial(ctx, addr.String())
//			},
//		})
//	}
//
// Run runs every part; RunConn, RunGRPC, RunHTTP, RunRPC and RunSoak run
// one. The gRPC cases are also available against any client connection
// (RunGRPCCases) and their server as a service to register anywhere
// (RegisterTestService), so a test can put client and server in different
// processes. The suite never sleeps to synchronise and bounds every wait.
// With -short the soak runs 50 iterations, otherwise 1000.
package conformance
