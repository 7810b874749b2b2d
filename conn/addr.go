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

// String returns the socket path for a local address (PID zero), and for a
// remote one names the peer process too: "pid 1234 uid 1000 on
// /run/app.sock". That is what an HTTP handler's r.RemoteAddr, a gRPC
// peer.Addr and every *net.OpError of the connection show ("write shm
// /run/app.sock->pid 1234 uid 1000 on /run/app.sock: broken pipe"). Code
// that needs the path or the credentials reads the fields.
func (a *Addr) String() string {
	if a.PID == 0 {
		return a.Path
	}
	return fmt.Sprintf("pid %d uid %d on %s", a.PID, a.UID, a.Path)
}

// Describe returns String with the peer's gid too, for logs.
func (a *Addr) Describe() string {
	if a.PID == 0 {
		return a.Path
	}
	return fmt.Sprintf("pid %d uid %d gid %d on %s", a.PID, a.UID, a.GID, a.Path)
}
