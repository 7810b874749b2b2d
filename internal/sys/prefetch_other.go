//go:build !amd64 && !arm64

package sys

import "unsafe"

// PrefetchStore is PrefetchStore of amd64 and arm64: a hint this
// architecture goes without.
func PrefetchStore(p unsafe.Pointer) {}
