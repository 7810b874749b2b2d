package conn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/tachyon-ipc/tachyon-go/internal/handshake"
	"github.com/tachyon-ipc/tachyon-go/internal/sys"
	"github.com/tachyon-ipc/tachyon-go/shmring"
)

// runHandshake binds ctx to the socket's deadline, fills in the addresses,
// checks the peer's credentials and runs one side of the handshake. On error
// the socket is closed.
func runHandshake(ctx context.Context, uc *net.UnixConn, path string,
	side func(*net.UnixConn, endpoint) (*Conn, error), ep endpoint) (c *Conn, err error) {
	defer func() {
		if err != nil {
			uc.Close()
		}
	}()
	if dl, ok := ctx.Deadline(); ok {
		uc.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { uc.SetDeadline(time.Unix(1, 0)) })
	pid, uid, gid, err := sys.PeerCred(uc)
	if err != nil {
		stop()
		return nil, err
	}
	ep.local = &Addr{Path: path}
	ep.remote = &Addr{Path: path, PID: int(pid), UID: int(uid), GID: int(gid)}
	ep.sock = uc
	if err := ep.cfg.checkPeer(ep.remote); err != nil {
		stop()
		return nil, err
	}
	c, err = side(uc, ep)
	if !stop() || ctx.Err() != nil {
		// ctx ended during the handshake: its deadline may be armed.
		if c != nil {
			c.Close()
		}
		return nil, ctxError(ctx)
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		// The socket deadline (ctx's) fired just before ctx's own timer.
		return nil, timeoutError{}
	}
	if err != nil {
		return nil, err
	}
	uc.SetDeadline(time.Time{})
	return c, nil
}

// dialHandshake receives and checks the rings and the session offer, maps
// everything and acknowledges.
func dialHandshake(uc *net.UnixConn, ep endpoint) (*Conn, error) {
	hello, fds, err := handshake.Receive(uc)
	if err != nil {
		if hungUp(err) {
			return nil, fmt.Errorf("listener closed the connection before the handshake "+
				"(it may refuse our uid %d: see its log): %w", os.Getuid(), err)
		}
		return nil, err
	}
	defer sys.CloseAll(fds) // the rings keep duplicates
	if !hello.TwoRing {
		return nil, fmt.Errorf("%w: it offers a plain one-ring Tachyon bus (use package bus)", ErrNotSession)
	}
	for _, n := range []int{hello.CapacityFwd, hello.CapacityRev} {
		if err := checkRingSize(n); err != nil {
			return nil, fmt.Errorf("%w: listener offers a %d-byte ring: %v", ErrNotSession, n, err)
		}
	}
	toServer, toClient, err := ringPair(func(i int) (*shmring.Ring, error) {
		return shmring.Attach(fds[i], [2]int{hello.CapacityFwd, hello.CapacityRev}[i])
	})
	if err != nil {
		return nil, err
	}
	return assemble(ep, toServer, toClient, func() ([numBells]int, error) {
		bells, err := recvOffer(uc)
		if err != nil {
			return bells, err
		}
		if err := sendAck(uc); err != nil {
			sys.CloseAll(bells[:])
			return bells, err
		}
		return bells, nil
	})
}

// acceptHandshake creates the rings and doorbells, sends them and waits for
// the acknowledgement.
func acceptHandshake(uc *net.UnixConn, ep endpoint) (*Conn, error) {
	path := ep.local.Path
	toServer, toClient, err := ringPair(func(i int) (*shmring.Ring, error) {
		return shmring.Create(memfdName(ringDirs[i], path), [2]int{ep.cfg.toServer, ep.cfg.toClient}[i])
	})
	if err != nil {
		return nil, err
	}
	return assemble(ep, toServer, toClient, func() ([numBells]int, error) {
		bells, err := newBells()
		if err != nil {
			return bells, err
		}
		hello := handshake.Hello{CapacityFwd: ep.cfg.toServer, CapacityRev: ep.cfg.toClient, TwoRing: true}
		err = handshake.Send(uc, hello, toServer.Fd(), toClient.Fd())
		if err == nil {
			err = sendOffer(uc, bells)
			if hungUp(err) {
				err = fmt.Errorf("%w: it hung up after the Tachyon handshake (a Tachyon connector?): %v", ErrNotSession, err)
			}
		}
		if err == nil {
			err = recvAck(uc)
		}
		if err != nil {
			sys.CloseAll(bells[:])
		}
		return bells, err
	})
}

// ringDirs names the two rings, in handshake order (Tachyon's fwd, rev).
var ringDirs = [2]string{"c2s", "s2c"}

// ringPair opens the client-to-server ring (i = 0) and the server-to-client
// ring (i = 1); on error neither is left open.
func ringPair(open func(i int) (*shmring.Ring, error)) (toServer, toClient *shmring.Ring, err error) {
	if toServer, err = open(0); err != nil {
		return nil, nil, fmt.Errorf("client-to-server ring: %w", err)
	}
	if toClient, err = open(1); err != nil {
		toServer.Close()
		return nil, nil, fmt.Errorf("server-to-client ring: %w", err)
	}
	return toServer, toClient, nil
}

// assemble runs the doorbell exchange of one side of the handshake and
// builds the connection; on error the rings are closed.
func assemble(ep endpoint, toServer, toClient *shmring.Ring, exchange func() ([numBells]int, error)) (*Conn, error) {
	bells, err := exchange()
	if err != nil {
		toServer.Close()
		toClient.Close()
		return nil, err
	}
	return newConn(ep, toServer, toClient, bells)
}

// MemfdPrefix starts the name of every ring memfd this package creates, so
// observers (tachyon-top) can find them in /proc/PID/fd.
const MemfdPrefix = "tachyon-go:"

// memfdName names a ring's memfd after its direction and socket path,
// within the kernel's 249-byte limit.
func memfdName(dir, path string) string {
	name := MemfdPrefix + dir + ":" + path
	if len(name) > 249 {
		name = name[:249]
	}
	return name
}

// newBells creates the four doorbell eventfds.
func newBells() ([numBells]int, error) {
	var bells [numBells]int
	for i := range bells {
		fd, err := sys.NewEventfd()
		if err != nil {
			sys.CloseAll(bells[:i])
			return bells, err
		}
		bells[i] = fd
	}
	return bells, nil
}

// readFull reads exactly len(b) bytes.
func readFull(c *net.UnixConn, b []byte) (int, error) { return io.ReadFull(c, b) }
