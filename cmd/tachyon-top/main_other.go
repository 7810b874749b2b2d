//go:build !linux

package main

// tachyon-top needs Linux: it finds rings through /proc/PID/fd and maps them
// read-only, and rings exist on Linux only.

import (
	"fmt"
	"os"
	"runtime"
)

func main() {
	fmt.Fprintf(os.Stderr, "tachyon-top: shared-memory rings exist on Linux only; this is %s\n", runtime.GOOS)
	os.Exit(1)
}
