// Package conn carries a byte stream over a pair of Tachyon rings in shared
// memory and presents it as a net.Conn, so that gRPC, net/http (HTTP/1.1 and
// HTTP/2 cleartext) and net/rpc run over shared memory unchanged.
//
// A connection is made over a Unix socket: the listening side (package
// listener) creates two sealed memfd rings and four eventfd doorbells, sends
// Tachyon's 32-byte two-ring handshake with the memfds, then a tachyon-go
// session offer with the doorbells; the dialing side checks and maps
// everything and acknowledges (ABI.md §4, §5). After that, data moves through
// the rings without system calls while both sides are busy, and a side that
// waits parks its goroutine on a doorbell through the Go network poller.
//
// The Unix socket stays open as a liveness channel: when the peer process
// dies, the kernel closes it and blocked Reads and Writes return at once.
//
// Read returns io.EOF once the peer has closed (or half-closed with
// CloseWrite) and every byte it wrote was read, and ECONNRESET if the peer
// vanished without closing. Write to a peer that closed or died fails with
// EPIPE. Timeouts are *net.OpError values wrapping os.ErrDeadlineExceeded;
// use after Close fails with net.ErrClosed.
//
// Shared memory needs Linux. Dial fails with ErrNoSharedMemory where it
// cannot be set up and with ErrPlainListener when the socket's server is a
// plain Unix-socket server; DialFallback then returns a plain Unix-socket
// connection instead (IsSharedMemory tells the kinds apart), which is what
// packages grpcshm and httpshm do, so they work on every system Go's Unix
// sockets run on. ForcePlainEnv forces the plain path on Linux, for tests.
package conn
