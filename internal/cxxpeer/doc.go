// Package cxxpeer holds tachyon-cxxpeer, the C++ side of tachyon-bench's
// comparison with Tachyon's C++ core (issue 17). It has no Go code:
// src/peer.cpp is our own program, written against Tachyon's public C
// header (tachyon.h) and linked against a Tachyon library that the user
// builds, and build.sh compiles only that file. Neither Tachyon's sources
// nor anything built from them belongs in this repository.
//
// To run the comparison:
//
//  1. Build Tachyon v0.5.1 by its own instructions in a checkout of your
//     own (core/README.md, "Building directly": cmake --preset
//     clang-release && cmake --build --preset clang-release), which leaves
//     libtachyon.so under its build directory.
//  2. internal/cxxpeer/build.sh /path/to/Tachyon [clang++] — puts the peer
//     at $TMPDIR/tachyon-cxxpeer (or the third argument) with the Tachyon
//     commit beside it in tachyon-cxxpeer.tachyon-commit.
//  3. go run ./cmd/tachyon-bench -cxx -count 5 (add -cxxpeer PATH if the
//     peer is elsewhere; $TACHYON_CXXPEER works too).
//
// Without a built peer tachyon-bench -cxx prints one line saying how to
// build it and runs only the Go rows; go test skips TestCxxScenarios.
//
// # Protocol
//
// The peer is one binary with four modes, every argument key=value, and
// talks to its partner (another copy of itself or tachyon-bench's Go side
// through package bus) only through Tachyon buses: one ring per direction,
// each side listening on the ring it writes, as Tachyon's own ping/pong
// example does. Frames of type 1 carry data; one frame of type 2 ends the
// exchange (Tachyon has no end of stream).
//
//	ping listen=A connect=B size= cap= warmup-ms= duration-ms= count= spin= [cpu=]
//	     sends a frame, waits for its echo, one CLOCK_MONOTONIC read per round
//	     trip as internal/bench.MeasureRTT does; prints "samples N" and then N
//	     little-endian uint64 round trips in ns.
//	pong listen=B connect=A cap= spin= [cpu=]
//	     echoes every frame until the end frame.
//	send listen=A size= cap= warmup-ms= duration-ms= count= batch= [cpu=]
//	     streams frames (Tachyon's producer publishes every 32 commits;
//	     batch=1 flushes each), then the end frame; prints "sent WARM MSGS
//	     START_NS", START_NS when the measured phase began.
//	recv connect=A spin= [cpu=]
//	     drains in batches of 64 with tachyon_drain_batch, copying each
//	     payload out; prints "recv MSGS BYTES END_NS" when the end frame came.
//
// spin is Tachyon's spin_threshold: pauses before a receiver parks on the
// futex (tachyon_acquire_rx_blocking, tachyon_drain_batch). A one-way
// stream's time runs from the sender's START_NS to the receiver's END_NS.
package cxxpeer
