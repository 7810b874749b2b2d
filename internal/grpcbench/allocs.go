package grpcbench

import (
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Counting heap allocations, in this process and in a server's: a
// measurement that sets Load.Allocs reports how many objects both ends
// allocated while it measured (Result.Allocs).

// HeapAllocs returns how many heap objects this process has allocated so
// far: runtime.MemStats.Mallocs, what testing's allocs/op counts. Reading
// it stops the world for a moment, which is why it is read only at the
// edges of a measured phase. (runtime/metrics' allocation counters are
// cheaper to read but lag by what each processor's allocation cache has
// not flushed yet: up to a span of objects per size class.)
func HeapAllocs() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.Mallocs
}

// allocsQuery is the byte that asks a server process for its HeapAllocs,
// which it answers on the control socket as a decimal line.
const allocsQuery = 'a'

// ctlTimeout bounds a question on the control socket.
const ctlTimeout = 10 * time.Second

// Allocs returns how many heap objects the server's process has allocated
// so far; 0 for a server in this process, whose allocations HeapAllocs
// counts already.
func (s *Server) Allocs() (uint64, error) {
	if s.peer == nil {
		return 0, nil
	}
	s.ctl.SetDeadline(time.Now().Add(ctlTimeout))
	defer s.ctl.SetDeadline(time.Time{})
	if _, err := s.ctl.Write([]byte{allocsQuery}); err != nil {
		return 0, fmt.Errorf("grpcbench: asking the server for its allocations: %w", err)
	}
	line, err := s.ctlr.ReadString('\n')
	if err != nil {
		return 0, fmt.Errorf("grpcbench: the server's allocations: %w", err)
	}
	return strconv.ParseUint(strings.TrimSuffix(line, "\n"), 10, 64)
}

// answerQueries answers allocsQuery on ctl until it closes or fails (the
// measuring process closed its end or died). The count is taken before the
// answer is written, so what answering allocates falls after it.
func answerQueries(ctl io.ReadWriter) {
	var q [1]byte
	var line [24]byte
	for {
		if _, err := ctl.Read(q[:]); err != nil {
			return
		}
		if q[0] == allocsQuery {
			if _, err := ctl.Write(append(strconv.AppendUint(line[:0], HeapAllocs(), 10), '\n')); err != nil {
				return
			}
		}
	}
}

// readBefore and readAfter bracket a measured phase with counts: the
// server's taken first before it and last after it, so that the control
// messages' own allocations in this process fall outside.
func readBefore(allocs func() (server uint64, err error)) (uint64, error) {
	srv, err := allocs()
	return srv + HeapAllocs(), err
}

func readAfter(allocs func() (server uint64, err error)) (uint64, error) {
	self := HeapAllocs()
	srv, err := allocs()
	return self + srv, err
}
