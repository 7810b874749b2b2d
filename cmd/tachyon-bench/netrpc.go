package main

import "github.com/tachyon-ipc/tachyon-go/internal/bench"

// net/rpc calls over shared memory and over a Unix socket join the scenario
// registry here (rpc-shm/call, rpc-unix/call, 32 B): the standard library's
// net/rpc with its gob codec, the server in another process, one caller,
// compared with the same calls over the Unix socket in the same run. It is
// the figure a net/rpc user moving to shared memory can expect; gob's own
// encoding is part of every call, as it is in their program.
func init() {
	for _, t := range []bench.NetTransport{bench.Shm, bench.Unix} {
		bench.RegisterNetRPC(t)
	}
}
