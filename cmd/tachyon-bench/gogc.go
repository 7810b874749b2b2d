package main

import (
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
)

// The -gogc flag sets the garbage collector's target for both processes of
// every measurement: this one through debug.SetGCPercent, the peers it
// starts through the GOGC variable they inherit. Rows that allocate what
// they receive (gRPC's 1 MiB rows: generated code allocates every decoded
// message) run at the pace of the collector of a process whose live heap
// is a few MiB, and -gogc shows how much of a row that is.

// checkGOGC validates a -gogc value: empty, "off" or a non-negative
// integer, as the GOGC variable takes it.
func checkGOGC(v string) error {
	if v == "" {
		return nil
	}
	_, err := gcPercent(v)
	return err
}

// gcPercent parses a -gogc value for debug.SetGCPercent.
func gcPercent(v string) (int, error) {
	if v == "off" {
		return -1, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad -gogc %q: want a non-negative integer or \"off\"", v)
	}
	return n, nil
}

// applyGOGC sets GOGC for this process and the peers it starts; an empty
// value leaves both as the environment has them.
func applyGOGC(v string) error {
	if v == "" {
		return nil
	}
	n, err := gcPercent(v)
	if err != nil {
		return err
	}
	if err := os.Setenv("GOGC", v); err != nil {
		return err
	}
	debug.SetGCPercent(n)
	return nil
}

// gogcText describes the collector's target the run measured with, for
// the table's header and the JSON document.
func gogcText() string {
	if v := os.Getenv("GOGC"); v != "" {
		return v
	}
	return "100 (default)"
}
