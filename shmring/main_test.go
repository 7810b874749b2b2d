package shmring

import (
	"os"
	"testing"

	"github.com/tachyon-ipc/tachyon-go/internal/peerproc"
)

// TestMain lets the test binary play a peer process. Every test file of this
// package (internal or external) that needs a peer registers its roles with
// peerproc.Register from an init function; there must be no other TestMain
// in shmring.
func TestMain(m *testing.M) {
	peerproc.Run()
	os.Exit(m.Run())
}
