package conn

import "net"

// HelloMagic opens every session hello (ABI.md §5): the first four bytes a
// tachyon-go dialer sends. An accepting side that serves other clients too
// tells a tachyon-go dialer apart by them (package listener peeks at them
// without consuming anything).
const HelloMagic = "TGOH"

// IsSharedMemory reports whether c is a shared-memory connection (a *Conn,
// whose RemoteAddr().Network() is "shm"), as opposed to a plain Unix-socket
// connection (RemoteAddr().Network() "unix") that a dual-stack listener
// accepted or a fallback dial returned.
func IsSharedMemory(c net.Conn) bool {
	_, ok := c.(*Conn)
	return ok
}
