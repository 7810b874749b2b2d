package bus

import (
	"io"
	"sync"
)

// roleSlot holds the one role an end of a bus plays.
type roleSlot struct {
	mu     sync.Mutex // guards side and closed
	side   io.Closer  // the role opened, nil until then
	closed bool
}

// open runs fn to create the role unless one exists or the bus is closed.
func (s *roleSlot) open(fn func() (io.Closer, error)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.side != nil {
		return ErrRoleTaken
	}
	side, err := fn()
	if err == nil {
		s.side = side
	}
	return err
}

// close closes the role, if any, and reports whether this was the first
// call.
func (s *roleSlot) close() bool {
	s.mu.Lock()
	side, first := s.side, !s.closed
	s.closed = true
	s.mu.Unlock()
	if first && side != nil {
		side.Close()
	}
	return first
}
