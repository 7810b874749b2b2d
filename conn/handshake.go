package conn

import (
	"context"
	"encoding/binary"
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
		ep.deadline = dl
	}
	if ep.server && ep.cfg.helloTimeout > 0 {
		ep.helloDeadline = time.Now().Add(ep.cfg.helloTimeout)
		if !ep.deadline.IsZero() && ep.deadline.Before(ep.helloDeadline) {
			ep.helloDeadline = ep.deadline
		}
	}
	var phase string // what the handshake waits for, for a timeout's message
	ep.phase = &phase
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
		if ep.server {
			// Read the hello before the refusal, so the dialer reads our
			// reason rather than a reset.
			uc.SetReadDeadline(ep.helloDeadline)
			var b [helloSize]byte
			if _, rerr := io.ReadFull(uc, b[:]); rerr == nil {
				sendRefusal(uc, statusPeerRefused)
			}
		}
		return nil, err
	}
	c, err = side(uc, ep)
	if errors.Is(err, ErrNoHello) {
		stop()
		return nil, err
	}
	if !stop() || ctx.Err() != nil {
		// ctx ended during the handshake: its deadline may be armed.
		if c != nil {
			c.Close()
		}
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, timeoutError{during: phase}
		}
		return nil, ctxError(ctx)
	}
	if errors.Is(err, os.ErrDeadlineExceeded) && !errors.Is(err, ErrNoHello) {
		// The socket deadline (ctx's) fired just before ctx's own timer.
		return nil, timeoutError{during: phase}
	}
	if err != nil {
		return nil, err
	}
	uc.SetDeadline(time.Time{})
	return c, nil
}

// dialHandshake sends our hello, then receives and checks the rings and the
// listener's offer, maps everything and acknowledges with our doorbells.
func dialHandshake(uc *net.UnixConn, ep endpoint) (*Conn, error) {
	h := helloMsg{version: sessionVersion, features: featureWakeSockets, protocol: ep.cfg.protocol}
	if ep.cfg.sizesSet {
		h.toServer, h.toClient = uint32(ep.cfg.toServer), uint32(ep.cfg.toClient)
	}
	b := h.marshal()
	if _, err := uc.Write(b[:]); err != nil {
		if hungUp(err) {
			return nil, fmt.Errorf("%w: %w: the listener hung up before our hello: %v", ErrNotSession, ErrPlainListener, err)
		}
		return nil, err
	}
	*ep.phase = "waiting for an answer to our session hello: is the socket's server a tachyon-go listener?"
	hs, fds, err := recvRingsProbing(uc, ep)
	if err != nil {
		return nil, err // a timeout names the phase above
	}
	*ep.phase = "waiting for the listener's session offer"
	defer sys.CloseAll(fds) // the rings keep duplicates
	toServer, toClient, err := ringPair(func(i int) (*shmring.Ring, error) {
		return shmring.Attach(fds[i], [2]int{hs.CapacityFwd, hs.CapacityRev}[i])
	})
	if err != nil {
		return nil, noSharedMemory(err)
	}
	return assemble(ep, toServer, toClient, func(bells [numBells]*shmring.Doorbell, ringFds [numBells]int) ([numBells]*shmring.Ringer, error) {
		ringers, err := recvBells(uc, true)
		if err != nil {
			sys.CloseAll(ringFds[:])
			return ringers, fmt.Errorf("session offer: %w", err)
		}
		if err := sendBells(uc, ringFds); err != nil {
			closeRingers(ringers)
			return ringers, err
		}
		return ringers, nil
	})
}

// recvRingsProbing is recvRings that, for DialFallback (ep.cfg.probe), waits
// at most the probe for the answer's first bytes: a plain server that waits
// for a whole request of its own protocol stays silent.
func recvRingsProbing(uc *net.UnixConn, ep endpoint) (handshake.Hello, []int, error) {
	if ep.cfg.probe == 0 {
		return recvRings(uc)
	}
	probe := time.Now().Add(ep.cfg.probe)
	if !ep.deadline.IsZero() && ep.deadline.Before(probe) {
		return recvRings(uc) // ctx ends first: its timeout is the error
	}
	uc.SetReadDeadline(probe)
	defer uc.SetReadDeadline(ep.deadline)
	hs, fds, err := recvRings(uc)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return hs, fds, fmt.Errorf("%w: %w: no answer to our hello within %v", ErrNotSession, ErrPlainListener, ep.cfg.probe)
	}
	return hs, fds, err
}

// recvRings reads the listener's answer to our hello: Tachyon's handshake
// with the two ring memfds, or a refusal. It names the cause when the
// socket's server is not a tachyon-go listener. On error no descriptor is
// left open.
func recvRings(uc *net.UnixConn) (handshake.Hello, []int, error) {
	var b [handshake.Size]byte
	n, fds, err := sys.RecvFds(uc, b[:], 2)
	switch {
	case err != nil && hungUp(err), err == nil && n == 0:
		return handshake.Hello{}, nil, fmt.Errorf("%w: %w: the listener closed the connection after our hello "+
			"(a listener of another protocol, or one that refuses our uid %d: see its log)", ErrNotSession, ErrPlainListener, os.Getuid())
	case err != nil:
		return handshake.Hello{}, nil, err
	}
	fail := func(err error) (handshake.Hello, []int, error) {
		sys.CloseAll(fds)
		return handshake.Hello{}, nil, err
	}
	if n >= 4 {
		switch binary.NativeEndian.Uint32(b[:]) {
		case sessionMagic:
			if n < sessionSize {
				break
			}
			m, err := parseSession(b[:sessionSize])
			if err != nil {
				return fail(err)
			}
			return fail(refusalError(m, true))
		case shmring.Magic:
			hs, err := handshake.Parse(b[:n])
			if err != nil {
				return fail(err)
			}
			if !hs.TwoRing {
				return fail(fmt.Errorf("%w: it offers a plain one-ring Tachyon bus (use package bus)", ErrNotSession))
			}
			if len(fds) != 2 {
				return fail(fmt.Errorf("%w: the handshake carried %d ring descriptors, expected 2", ErrNotSession, len(fds)))
			}
			if sys.SameRegularFile(fds[0], fds[1]) {
				return fail(fmt.Errorf("%w: the listener sent the same memory file for both rings", ErrNotSession))
			}
			for _, n := range []int{hs.CapacityFwd, hs.CapacityRev} {
				if err := checkRingSize(n); err != nil {
					return fail(fmt.Errorf("%w: listener offers a %d-byte ring: %v", ErrNotSession, n, err))
				}
			}
			return hs, fds, nil
		}
	}
	return fail(fmt.Errorf("%w: %w: it answered %s", ErrNotSession, ErrPlainListener, quoteStart(b[:n])))
}

// acceptHandshake reads the client's hello within the hello timeout, then
// creates the rings and our doorbells, sends them and waits for the
// client's acknowledgement and doorbells.
func acceptHandshake(uc *net.UnixConn, ep endpoint) (*Conn, error) {
	toServerCap, toClientCap, err := readHello(uc, &ep)
	if err != nil {
		return nil, err
	}
	path := ep.local.Path
	sizes := [2]int{toServerCap, toClientCap}
	err = sharedMemoryHere()
	var toServer, toClient *shmring.Ring
	if err == nil {
		toServer, toClient, err = ringPair(func(i int) (*shmring.Ring, error) {
			return shmring.Create(memfdName(ringDirs[i], path), sizes[i])
		})
		err = noSharedMemory(err)
	}
	if errors.Is(err, ErrNoSharedMemory) {
		sendRefusal(uc, statusNoShm) // the dialer may fall back to a plain connection
	}
	if err != nil {
		return nil, err
	}
	return assemble(ep, toServer, toClient, func(bells [numBells]*shmring.Doorbell, ringFds [numBells]int) ([numBells]*shmring.Ringer, error) {
		var ringers [numBells]*shmring.Ringer
		hs := handshake.Hello{CapacityFwd: sizes[0], CapacityRev: sizes[1], TwoRing: true}
		err := handshake.Send(uc, hs, toServer.Fd(), toClient.Fd())
		if err == nil {
			err = sendBells(uc, ringFds)
		} else {
			sys.CloseAll(ringFds[:])
		}
		if err == nil {
			ringers, err = recvBells(uc, false)
		}
		if hungUp(err) {
			err = fmt.Errorf("%w: the client hung up during the session: %v", ErrNotSession, err)
		}
		return ringers, err
	})
}

// readHello reads and checks the client's hello, within the hello timeout,
// and grants ring sizes. A hello we cannot accept is answered with a
// refusal that says why.
func readHello(uc *net.UnixConn, ep *endpoint) (toServer, toClient int, err error) {
	if !ep.helloDeadline.IsZero() {
		uc.SetReadDeadline(ep.helloDeadline)
		defer uc.SetReadDeadline(ep.deadline)
	}
	var b [helloSize]byte
	// Plain reads: descriptors a client sends with its hello are discarded
	// by the kernel, never installed in our process. The magic comes
	// first, so a client of another protocol is told apart at once.
	_, err = io.ReadFull(uc, b[:4])
	if err == nil && binary.NativeEndian.Uint32(b[:]) != helloMagic {
		_, status, err := parseHello(b[:4])
		sendRefusal(uc, status)
		return 0, 0, err
	}
	if err == nil {
		_, err = io.ReadFull(uc, b[4:])
	}
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return 0, 0, ErrNoHello
		}
		return 0, 0, fmt.Errorf("%w: reading the hello: %v", ErrNotSession, err)
	}
	h, status, err := parseHello(b[:])
	ep.cfg.protocol = h.protocol
	if err == nil {
		toServer, err = ep.cfg.grant(h.toServer, ep.cfg.toServer)
	}
	if err == nil {
		toClient, err = ep.cfg.grant(h.toClient, ep.cfg.toClient)
	}
	if err != nil {
		if status == statusOK {
			status = statusBadHello
		}
		sendRefusal(uc, status)
		return 0, 0, err
	}
	return toServer, toClient, nil
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
// builds the connection; on error the rings are closed. exchange gets our
// doorbells and the descriptors of their ringing ends (which it must close)
// and returns the peer's ringers.
func assemble(ep endpoint, toServer, toClient *shmring.Ring,
	exchange func([numBells]*shmring.Doorbell, [numBells]int) ([numBells]*shmring.Ringer, error)) (*Conn, error) {
	bells, ringFds, err := ownBells()
	var ringers [numBells]*shmring.Ringer
	if err == nil {
		ringers, err = exchange(bells, ringFds)
		if err != nil {
			closeBells(bells)
		}
	}
	if err != nil {
		toServer.Close()
		toClient.Close()
		return nil, err
	}
	return newConn(ep, toServer, toClient, wakeSet{bells: bells, ringers: ringers})
}

func closeBells(bells [numBells]*shmring.Doorbell) {
	for _, b := range bells {
		if b != nil {
			b.Close()
		}
	}
}

func closeRingers(ringers [numBells]*shmring.Ringer) {
	for _, r := range ringers {
		if r != nil {
			r.Close()
		}
	}
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
