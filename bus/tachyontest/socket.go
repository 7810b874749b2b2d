package tachyontest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/tachyon-ipc/tachyon-go/internal/sys"
)

// HelloSize is the length of Tachyon's handshake.
const HelloSize = 32

// Handshake flags.
const (
	FlagsPlain = 0
	FlagsRPC   = 1
)

// Hello builds the 32 handshake bytes (ABI.md §4): magic, version,
// capacity_fwd, shm_size_fwd, capacity_rev, shm_size_rev, msg_alignment,
// flags. A plain bus states no reverse ring.
func Hello(capFwd, capRev int, rpc bool) [HelloSize]byte {
	var b [HelloSize]byte
	ne := binary.NativeEndian
	ne.PutUint32(b[0:], Magic)
	ne.PutUint32(b[4:], Version)
	ne.PutUint32(b[8:], uint32(capFwd))
	ne.PutUint32(b[12:], uint32(ControlSize+capFwd))
	if rpc {
		ne.PutUint32(b[16:], uint32(capRev))
		ne.PutUint32(b[20:], uint32(ControlSize+capRev))
		ne.PutUint32(b[28:], FlagsRPC)
	}
	ne.PutUint32(b[24:], Alignment)
	return b
}

// Listen does what Tachyon's listener does with a socket: unlink path,
// bind, listen, accept exactly one peer, send hello with fds in one
// SCM_RIGHTS message, close both sockets and unlink path. Unlike Tachyon it
// gives up at deadline.
func Listen(path string, hello [HelloSize]byte, deadline time.Time, fds ...int) error {
	os.Remove(path)
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return err
	}
	defer l.Close() // also unlinks path
	l.SetDeadline(deadline)
	c, err := l.AcceptUnix()
	if err != nil {
		return err
	}
	defer c.Close()
	return sys.SendFds(c, hello[:], fds...)
}

// Connect does what Tachyon's connector does with a socket: connect, receive
// one message of 32 bytes with its descriptors, close. Tachyon fails at once
// when nobody listens yet; Connect retries until deadline instead.
func Connect(path string, deadline time.Time) (hello [HelloSize]byte, fds []int, err error) {
	var c *net.UnixConn
	for {
		c, err = net.DialUnix("unix", nil, &net.UnixAddr{Name: path, Net: "unix"})
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.ENOENT) && !errors.Is(err, syscall.ECONNREFUSED) || time.Now().After(deadline) {
			return hello, nil, err
		}
		time.Sleep(time.Millisecond)
	}
	defer c.Close()
	c.SetReadDeadline(deadline)
	n, fds, err := sys.RecvFds(c, hello[:], 2)
	if err != nil {
		return hello, nil, err
	}
	if n < HelloSize {
		sys.CloseAll(fds)
		return hello, nil, fmt.Errorf("tachyontest: handshake of %d bytes", n)
	}
	return hello, fds, nil
}

// checkHello applies a Tachyon connector's checks: magic, version,
// alignment, and flags exactly as expected.
func checkHello(b [HelloSize]byte, flags uint32) error {
	ne := binary.NativeEndian
	if ne.Uint32(b[0:]) != Magic || ne.Uint32(b[4:]) != Version || ne.Uint32(b[24:]) != Alignment ||
		ne.Uint32(b[28:]) != flags {
		return fmt.Errorf("%w: handshake % x", ErrABIMismatch, b)
	}
	return nil
}

// ListenBus is tachyon_bus_listen: create and format one ring, hand it to
// the first peer that connects to path.
func ListenBus(path string, capacity int, deadline time.Time) (*Ring, error) {
	r, err := Create(path, capacity)
	if err != nil {
		return nil, err
	}
	if err := Listen(path, Hello(capacity, 0, false), deadline, r.Fd()); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// ConnectBus is tachyon_bus_connect: receive one ring from the listener at
// path and map it.
func ConnectBus(path string, deadline time.Time) (*Ring, error) {
	hello, fds, err := Connect(path, deadline)
	if err != nil {
		return nil, err
	}
	if len(fds) != 1 {
		sys.CloseAll(fds)
		return nil, fmt.Errorf("tachyontest: %d descriptors with a plain handshake", len(fds))
	}
	if err := checkHello(hello, FlagsPlain); err != nil {
		sys.CloseAll(fds)
		return nil, err
	}
	return Join(fds[0], int(binary.NativeEndian.Uint32(hello[12:])))
}
