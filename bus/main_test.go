package bus_test

import (
	"os"
	"testing"

	"github.com/tachyon-ipc/tachyon-go/internal/peerproc"
)

// TestMain lets the test binary play a peer process (roles register in
// init functions of the test files).
func TestMain(m *testing.M) {
	peerproc.Run()
	os.Exit(m.Run())
}
