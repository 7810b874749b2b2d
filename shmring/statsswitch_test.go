package shmring

// SetStatsMirror lets this package's external benchmarks measure the hot
// path with and without the shared-memory counters.
func SetStatsMirror(on bool) { statsMirror = on }
