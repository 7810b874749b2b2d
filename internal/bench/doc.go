// Package bench holds the benchmark scenarios that both `go test -bench` and
// the tachyon-bench command run, each between two real processes: the
// measuring process starts a copy of its own binary as the peer (through
// internal/peerproc) and talks to it over shared memory, a socket, or a
// bounced cache line.
//
// A binary that runs scenarios calls peerproc.Run first thing (in TestMain or
// main); the peer roles register themselves when this package initialises.
//
// Scenarios live in a registry (Register, Scenarios, Lookup) so a transport or
// an RPC stack joins every table in a few lines:
//
//   - RegisterNetTransport adds a way to make net.Conns (a listen function run
//     in the peer, a dial function run here); it gets the net.Conn echo
//     round-trip and io.Copy throughput scenarios written once for every
//     transport.
//   - Register adds any other scenario; its peer side is a role declared with
//     RegisterRole and started with StartPeer, which hands both sides a
//     Channel for setup messages and file descriptors, and MeasureRTT or
//     MeasureStream time it like every other scenario. A scenario may also
//     wrap a setup of its own: tachyon-bench registers gRPC unary over shm,
//     unix and tcp on internal/grpcbench's servers and loops.
package bench
