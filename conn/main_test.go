package conn_test

import (
	"os"
	"testing"

	"github.com/tachyon-ipc/tachyon-go/internal/peerproc"
)

func TestMain(m *testing.M) {
	peerproc.Run()
	os.Exit(m.Run())
}
