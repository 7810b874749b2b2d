package sys

import (
	"errors"
	"os"
)

// ForcePlainEnv names the environment variable that, set to "1", makes
// SharedMemoryAvailable fail on Linux too: every connection of the process
// takes the plain Unix-socket path, as it does on other systems. For tests.
const ForcePlainEnv = "TACHYON_GO_FORCE_PLAIN"

// errForcedPlain is SharedMemoryAvailable's error under ForcePlainEnv.
var errForcedPlain = errors.New(ForcePlainEnv + "=1 in the environment")

// SharedMemoryAvailable reports why this process cannot set up shared
// memory connections, or nil if it can (as far as can be known before
// trying: a seccomp profile shows only when memfd_create fails).
func SharedMemoryAvailable() error {
	if os.Getenv(ForcePlainEnv) == "1" {
		return errForcedPlain
	}
	return platformSharedMemory()
}
