package shmring

// rewakeOn enables the spin after a brief park (spinner.rewake, wait.go).
// It is off: on this project's loaded 2-CPU VM (load average 4-7) it made
// the ping-pong p99 worse (about 150 µs against 65-85 µs), since a longer
// spin takes the CPU from the peer it waits for; it is kept so that
// BenchmarkTailSuspects (tail_bench_test.go) can measure it on a quiet
// machine, where it is meant to break chains of parks.
var rewakeOn = false
