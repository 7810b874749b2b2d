package conn

import "fmt"

// Network is the network name of every shared-memory address.
const Network = "shm"

// Addr is the address of one end of a shared-memory connection: the Unix
// socket path it was made on and, for the remote end, the peer process's
// credentials as the kernel reported them (SO_PEERCRED; for a Pipe, this
// process's own). PID is zero when the credentials are unknown, as in every
// LocalAddr.
type Addr struct {
	Path string
	PID  int
	UID  int
	GID  int
}

// Network returns "shm".
func (a *Addr) Network() string { return Network }

// String returns the socket path.
func (a *Addr) String() string { return a.Path }

// Describe returns the path with the peer credentials, for logs.
func (a *Addr) Describe() string {
	if a.PID == 0 {
		return a.Path
	}
	return fmt.Sprintf("%s (pid %d uid %d gid %d)", a.Path, a.PID, a.UID, a.GID)
}
