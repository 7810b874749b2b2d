package sys

import (
	"errors"
	"syscall"
)

// PeekFull is not available on Windows: a listener there serves every
// client as a plain one.
func PeekFull(c syscall.Conn, b []byte) (n int, err error) { return 0, errors.ErrUnsupported }
