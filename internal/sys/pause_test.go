//go:build amd64 || arm64

package sys

import "testing"

// SpinPause is a hint with no effect a test can see, but it must return:
// the test runs the instruction, which a wrong encoding would fault on.
func TestSpinPauseReturns(t *testing.T) {
	for range 1000 {
		SpinPause()
	}
}
