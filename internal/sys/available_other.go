//go:build !linux

package sys

import (
	"errors"
	"fmt"
	"runtime"
)

// platformSharedMemory: sealed memfds exist on Linux only.
func platformSharedMemory() error {
	return fmt.Errorf("shared-memory rings need Linux (memfd_create, file seals), this is %s: %w", runtime.GOOS, errors.ErrUnsupported)
}
