// Package tachyontest plays a Tachyon v0.5.1 peer (wire version 4) in tests,
// the way net/http/httptest plays an HTTP peer: it lets Go code that talks to
// Tachyon programs be tested where no Tachyon build is installed.
//
// It is a second, deliberately independent implementation of the wire rules
// in ABI.md (§1–§4, §6), written from the specification and from Tachyon's
// observable behaviour, not from this module's shmring package: offsets are
// its own constants, the control block and frame headers are read and
// written with raw loads and stores on the mapping, and it reproduces the
// habits of Tachyon's C++ core that a compatible peer must survive:
//
//   - the listener accepts exactly one peer, sends the 32-byte handshake with
//     its memfd(s) in one SCM_RIGHTS message and closes the socket; nothing
//     is sent after the handshake and nothing is ever read back;
//   - a producer publishes its head every 32 commits or on Flush, and wakes
//     the consumer with a shared FUTEX_WAKE only when consumer_sleeping is 1;
//   - a consumer publishes its tail only every 32 commits, sleeps with the
//     store-1 / fence / re-check / FUTEX_WAIT(200 ms) protocol, and reads the
//     header at offset 0 straight after a wrap marker, without re-checking
//     the head;
//   - plain frames carry only bytes 0–11 of their header: a Producer with
//     ScribbleHeader set fills bytes 12–63 with junk, as stale payload
//     bytes would be in a real ring;
//   - wrap markers are 64 bytes with size 0xFFFFFFFF and everything else
//     zero (reserved_size included);
//   - a consumer that finds a bad header sets the ring state to 4 (fatal);
//     an RPC caller that receives a reply with an unexpected correlation id
//     does the same.
//
// Where Tachyon would block forever, this package takes a deadline, so tests
// stay bounded; where Tachyon fails at once because the other side is not
// there yet (connect before listen), Connect retries until its deadline.
package tachyontest
