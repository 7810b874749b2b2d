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
// Instead of a byte stream, a connection can carry zero-copy frames: Frames
// switches it to the frame API of package shmring (writable views inside
// our ring, read-only views of the peer's), with the same liveness,
// deadlines, Close and errors. The frames are the rings' own, so nothing
// changes on the wire (ABI.md §5.5).
package conn
