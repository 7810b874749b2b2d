// Package bus talks to Tachyon programs — C++, Python, Rust, Java, Node, C#
// or cgo-Go processes using Tachyon v0.5.1 (wire version 4) — without cgo.
//
// A plain bus is one ring: Listen creates and formats it, waits for exactly
// one peer on a Unix socket, sends it Tachyon's 32-byte handshake with the
// ring's memfd, and removes the socket; Dial is the other end. Who produces
// is a convention of the two programs, not negotiated: Tachyon's Python
// quickstart has the listener consume, its benchmarks have each side listen
// on the bus it writes. Either side of a Bus opens either role, once.
//
// An RPC bus is two rings, fwd (caller → callee) and rev (callee → caller):
// ListenRPC and DialRPC, then Caller or Callee on either end. Requests and
// replies carry a correlation id at header offset 16; ids start at 1 and a
// Tachyon caller accepts replies strictly in call order, which Callee
// enforces.
//
// With a Tachyon peer there is nothing after the handshake: this package
// waits and wakes exactly as Tachyon does (the shared futex on
// consumer_sleeping, re-checked every 200 ms) and never sends Go-only
// extensions. For Go↔Go streams use packages conn and listener instead.
//
// What this package adds to Tachyon's behaviour: contexts and deadlines on
// every wait; a check of the peer's credentials (SO_PEERCRED, same uid by
// default) on both ends; received segments are checked (sealed, exactly the
// stated size, valid control block) before they are mapped; Listen refuses
// to remove a path that is not a stale socket; Dial waits for the listener
// to appear instead of failing (see below); and a Producer refuses frames too large for a
// Tachyon consumer to drain (see TachyonMaxPayload) instead of livelocking.
//
// Tachyon has no close, EOF or peer-death signal: a Consumer whose Tachyon
// producer exits simply sees no more frames, so bound every wait with a
// context or deadline.
//
// # Dial waits; conn.Dial does not
//
// conn.Dial, like net.Dial, fails at once when nothing listens. Dial and
// DialRPC here retry until a listener appears or ctx is done, because a bus
// listener (Listen here, or Tachyon's) binds the socket, accepts exactly one
// peer and removes the socket before it returns: there is no moment at
// which a program could know the listener is ready and then dial. Bound
// them with ctx. Otherwise this package follows the conventions of conn
// (docs/conventions.md): WithPeerUIDs takes ints, the last of WithPeerUIDs
// and WithAnyPeer wins, and ErrPeerRefused is conn.ErrPeerRefused.
package bus
