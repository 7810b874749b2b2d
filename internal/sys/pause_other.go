//go:build !amd64 && !arm64

package sys

// SpinPause is SpinPause of amd64 and arm64: a hint this architecture goes
// without.
func SpinPause() {}
