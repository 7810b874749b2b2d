package main

import (
	"io"
	"strings"

	"github.com/tachyon-ipc/tachyon-go/internal/bench"
)

// listHeader names the -list columns; the payload is right-aligned.
var listHeader = []string{"transport", "scenario", "kind", "payload"}

// writeList prints the jobs -list selects, one a line, in columns as wide
// as their longest cell (grpc-bufconn, ping-pong-parked-futex).
func writeList(w io.Writer, jobs []job) error {
	grid := [][]string{listHeader}
	for _, j := range jobs {
		grid = append(grid, []string{j.s.Transport, j.s.Name, j.s.Kind.String(), bench.FormatSize(j.size)})
	}
	var b strings.Builder
	writeGrid(&b, grid, len(listHeader)-1)
	_, err := io.WriteString(w, b.String())
	return err
}
