package listener_test

import (
	"os"
	"testing"

	"github.com/tachyon-ipc/tachyon-go/internal/peerproc"
)

// TestMain lets this test binary play the peer roles of its tests
// (internal/peerproc) when it is re-executed as one.
func TestMain(m *testing.M) {
	peerproc.Run()
	os.Exit(m.Run())
}
