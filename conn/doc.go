// Package conn carries a byte stream over a pair of Tachyon rings in shared
// memory and presents it as a net.Conn, so that gRPC, net/http (HTTP/1.1 and
// HTTP/2 cleartext) and net/rpc run over shared memory unchanged.
//
// A connection is made over a Unix socket: the dialing side speaks first with
// a hello that asks for ring sizes; only then does the listening side
// (package listener) create two sealed memfd rings and send Tachyon's
// 32-byte two-ring handshake with the memfds, then a session offer with the
// ringing ends of its own doorbells; the dialing side checks and maps
// everything and acknowledges with the ringing ends of its doorbells (ABI.md
// §4, §5). After that, data moves through the rings without system calls
// while both sides are busy, and a side that waits parks its goroutine on a
// doorbell of its own through the Go network poller (in frame mode it first
// waits on the ring's futex word for a while: see DefaultFramesFutexStage).
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
//
// Instead of a byte stream, a connection can carry zero-copy frames: Frames
// switches it to the frame API of package shmring (writable views inside
// our ring, read-only views of the peer's), with the same liveness,
// deadlines, Close and errors. The frames are the rings' own, so nothing
// changes on the wire (ABI.md §5.5).
//
// # Conventions
//
// The rules conn shares with packages listener, bus and shmring are in
// docs/conventions.md; in short: Dial fails at once when nothing listens,
// as net.Dial does (start the listener first); the peer must run as this
// process's effective uid unless WithPeerUIDs or WithAnyPeer, the last
// given, says otherwise, and a refusal is ErrPeerRefused, the same value as
// bus.ErrPeerRefused; credentials are ints; options belong to what they
// configure (WithNUMANode here places a connection's two rings,
// shmring.WithNUMANode one ring); MinRingSize bounds WithRingSize (a page:
// smaller rings only add wake-ups), as shmring.MinCapacity (the wire
// format's 64 bytes) bounds a bare ring; Accept is for a server that
// accepts on a Unix socket of its own, listener.Listen for everyone else;
// RemoteAddr().String() names the peer process.
package conn
