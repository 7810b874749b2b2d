package conn

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tachyon-ipc/tachyon-go/shmring"
)

// Conn is one end of a shared-memory connection: it writes into one ring
// and reads from the other. It implements net.Conn; all its methods are safe
// for concurrent use, and concurrent Writes are never interleaved.
type Conn struct {
	local, remote *Addr
	sock          *net.UnixConn // liveness channel; nil for Pipe ends
	watchDone     chan struct{} // closed when watch returns; nil without sock

	txRing, rxRing *shmring.Ring
	bells          [numBells]*shmring.Doorbell
	minChunk       int // smallest frame payload Write accepts while the ring is short of room
	maxChunk       int // largest frame payload Write produces

	rdMu       sync.Mutex        // serialises Read; guards rx and rdView
	rx         *shmring.Consumer // reads the peer's ring
	rdView     []byte            // unread rest of the frame being read: a view into rxRing
	rdDeadline deadline

	wrMu       sync.Mutex        // serialises Write; guards tx and wrShut
	tx         *shmring.Producer // writes our ring
	wrShut     bool              // CloseWrite was called
	wrDeadline deadline

	closed   atomic.Bool // Close has begun
	peerGone atomic.Bool // the liveness socket reported the peer gone
}

// deadline is a net.Conn deadline kept for the "expired before any I/O"
// check; waits are bounded by the doorbell's own copy of it.
type deadline struct{ ns atomic.Int64 }

func (d *deadline) set(t time.Time) {
	var ns int64
	if !t.IsZero() {
		ns = t.UnixNano()
	}
	d.ns.Store(ns)
}

func (d *deadline) expired() bool {
	ns := d.ns.Load()
	return ns != 0 && time.Now().UnixNano() >= ns
}

// endpoint says which rings and doorbells a side uses.
type endpoint struct {
	server bool
	cfg    config
	local  *Addr
	remote *Addr
	sock   *net.UnixConn
}

// newConn assembles a connection from mapped rings and doorbell descriptors,
// taking ownership of all of them (and of sock), also on error.
func newConn(ep endpoint, toServer, toClient *shmring.Ring, bellFds [numBells]int) (*Conn, error) {
	c := &Conn{local: ep.local, remote: ep.remote, sock: ep.sock}
	var err error
	for i, fd := range bellFds {
		if err == nil {
			c.bells[i], err = shmring.OpenDoorbell(fd)
		} else if fd >= 0 {
			syscall.Close(fd)
		}
	}
	c.txRing, c.rxRing = toServer, toClient
	txData, txSpace, rxData, rxSpace := bellToServerData, bellToServerSpace, bellToClientData, bellToClientSpace
	if ep.server {
		c.txRing, c.rxRing = toClient, toServer
		txData, txSpace, rxData, rxSpace = rxData, rxSpace, txData, txSpace
	}
	if err == nil && ep.cfg.numaNode >= 0 {
		if err = c.txRing.SetNUMANode(ep.cfg.numaNode); err == nil {
			err = c.rxRing.SetNUMANode(ep.cfg.numaNode)
		}
	}
	if err == nil {
		c.tx, err = c.txRing.Producer(append(ep.cfg.sideOptions(), shmring.WithDoorbells(c.bells[txSpace], c.bells[txData]))...)
	}
	if err == nil {
		c.rx, err = c.rxRing.Consumer(append(ep.cfg.sideOptions(), shmring.WithDoorbells(c.bells[rxData], c.bells[rxSpace]))...)
	}
	if err != nil {
		c.release()
		return nil, err
	}
	c.maxChunk = c.txRing.Capacity()/4 - shmring.HeaderSize
	c.minChunk = min(c.maxChunk, c.txRing.Capacity()/16)
	if c.sock != nil {
		c.watchDone = make(chan struct{})
		go c.watch()
	}
	return c, nil
}

// watch reads the liveness socket, on which the peer sends nothing after the
// handshake: its end means the peer closed or died. Blocked calls are woken
// to look at the rings once more.
func (c *Conn) watch() {
	defer close(c.watchDone)
	var b [64]byte
	for {
		if _, err := c.sock.Read(b[:]); err != nil {
			break
		}
	}
	c.peerGone.Store(true)
	c.rx.Interrupt()
	c.tx.Interrupt()
}

// Read reads bytes the peer wrote, blocking until at least one is available.
func (c *Conn) Read(b []byte) (int, error) {
	n, err := c.read(b)
	return n, c.opError("read", err)
}

func (c *Conn) read(b []byte) (int, error) {
	c.rdMu.Lock()
	defer c.rdMu.Unlock()
	if c.closed.Load() {
		return 0, net.ErrClosed
	}
	if c.rdDeadline.expired() {
		return 0, os.ErrDeadlineExceeded
	}
	if len(b) == 0 {
		return 0, nil
	}
	for {
		// Load before looking at the ring: a peer that closes cleanly sets
		// its EOF flag before its socket closes, so if it was gone before
		// this look, the look sees the flag.
		gone := c.peerGone.Load()
		n, err := c.copyOut(b)
		switch {
		case n > 0:
			return n, nil
		case err == io.EOF:
			return 0, io.EOF
		case err != shmring.ErrEmpty:
			return 0, c.broken(err)
		case gone:
			return 0, syscall.ECONNRESET
		}
		if err := c.rx.Wait(); err != nil {
			return 0, c.waitError(err)
		}
		if c.closed.Load() {
			return 0, net.ErrClosed
		}
	}
}

// copyOut copies ready bytes into b without blocking, frame after frame,
// and releases the frames it finished.
func (c *Conn) copyOut(b []byte) (n int, err error) {
	for n < len(b) {
		if len(c.rdView) == 0 {
			var f shmring.Frame
			if f, err = c.rx.Acquire(); err != nil {
				break
			}
			c.rdView = f.Payload
			continue
		}
		k := copy(b[n:], c.rdView)
		c.rdView = c.rdView[k:]
		n += k
	}
	if len(c.rdView) == 0 {
		c.rx.Commit()
	}
	return n, err
}

// Write writes b into the ring, in frames of at most a quarter of the ring,
// blocking while the ring is full. It returns early only with an error.
func (c *Conn) Write(b []byte) (int, error) {
	n, err := c.write(b)
	return n, c.opError("write", err)
}

func (c *Conn) write(b []byte) (int, error) {
	c.wrMu.Lock()
	defer c.wrMu.Unlock()
	if err := c.writable(); err != nil {
		return 0, err
	}
	n := 0
	for n < len(b) {
		want := min(len(b)-n, c.maxChunk)
		least := min(want, c.minChunk)
		buf, err := c.tx.AcquireUpTo(least, want)
		if err == nil {
			copy(buf, b[n:])
			c.tx.Commit(len(buf), 0)
			n += len(buf)
			continue
		}
		if err != shmring.ErrFull {
			return n, c.txError(err)
		}
		if c.peerGone.Load() {
			return n, syscall.EPIPE
		}
		if err := c.tx.Wait(least); err != nil {
			return n, c.waitError(err)
		}
		if err := c.writable(); err != nil {
			return n, err
		}
	}
	return n, nil
}

// writable is the check before (and between) ring operations in Write.
func (c *Conn) writable() error {
	switch {
	case c.closed.Load():
		return net.ErrClosed
	case c.wrShut:
		return syscall.EPIPE
	case c.wrDeadline.expired():
		return os.ErrDeadlineExceeded
	}
	return nil
}

func (c *Conn) txError(err error) error {
	switch {
	case errors.Is(err, shmring.ErrPeerClosed):
		return syscall.EPIPE
	case errors.Is(err, shmring.ErrClosed):
		return net.ErrClosed
	}
	return c.broken(err)
}

func (c *Conn) waitError(err error) error {
	if errors.Is(err, shmring.ErrClosed) {
		return net.ErrClosed
	}
	return err // os.ErrDeadlineExceeded
}

// broken handles an error that ends the connection (corrupt shared memory):
// the connection is closed, in the background since the caller holds a lock
// Close needs.
func (c *Conn) broken(err error) error {
	if errors.Is(err, shmring.ErrClosed) {
		return net.ErrClosed
	}
	go c.Close()
	return err
}

// opError wraps err as the net package does; io.EOF stays bare.
func (c *Conn) opError(op string, err error) error {
	if err == nil || err == io.EOF {
		return err
	}
	return &net.OpError{Op: op, Net: Network, Source: c.local, Addr: c.remote, Err: err}
}

// CloseWrite shuts down the writing side: the peer reads io.EOF after the
// bytes already written; this side can still read.
func (c *Conn) CloseWrite() error {
	if c.closed.Load() {
		return c.opError("close", net.ErrClosed)
	}
	c.tx.Interrupt()
	c.wrMu.Lock()
	defer c.wrMu.Unlock()
	if !c.wrShut {
		c.wrShut = true
		c.tx.Close()
	}
	return nil
}

// Close closes the connection. Bytes already written stay readable by the
// peer, which then reads io.EOF; blocked Reads and Writes on this side return
// net.ErrClosed.
func (c *Conn) Close() error {
	if !c.closed.CompareAndSwap(false, true) {
		return c.opError("close", net.ErrClosed)
	}
	c.tx.Interrupt()
	c.rx.Interrupt()
	c.wrMu.Lock()
	c.tx.Close() // publishes, then sets the EOF flag and wakes the peer
	c.wrMu.Unlock()
	c.rdMu.Lock()
	c.rdView = nil
	c.rx.Close() // tells the peer's writer nobody reads any more
	c.rdMu.Unlock()
	c.release()
	return nil
}

// release frees the socket, the rings and the doorbells. The peer keeps its
// own mappings; the memfds vanish with the last of them.
func (c *Conn) release() {
	if c.sock != nil {
		c.sock.Close()
		if c.watchDone != nil {
			<-c.watchDone
		}
	}
	c.txRing.Close()
	c.rxRing.Close()
	for _, b := range c.bells {
		if b != nil {
			b.Close()
		}
	}
}

// LocalAddr returns the socket path this end was made on.
func (c *Conn) LocalAddr() net.Addr { return c.local }

// RemoteAddr returns the peer's address: the socket path and, where known,
// the peer's pid, uid and gid.
func (c *Conn) RemoteAddr() net.Addr { return c.remote }

// SetDeadline sets the read and write deadlines.
func (c *Conn) SetDeadline(t time.Time) error {
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.SetWriteDeadline(t)
}

// SetReadDeadline sets the deadline for present and future Reads; a
// deadline in the past wakes a blocked Read. Zero means none.
func (c *Conn) SetReadDeadline(t time.Time) error {
	if c.closed.Load() {
		return c.opError("set", net.ErrClosed)
	}
	c.rdDeadline.set(t)
	c.rx.SetDeadline(t)
	return nil
}

// SetWriteDeadline sets the deadline for present and future Writes; a
// deadline in the past wakes a blocked Write. Zero means none.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	if c.closed.Load() {
		return c.opError("set", net.ErrClosed)
	}
	c.wrDeadline.set(t)
	c.tx.SetDeadline(t)
	return nil
}

// Stats returns the counters of this end's writing and reading sides.
func (c *Conn) Stats() (tx, rx shmring.Stats) { return c.tx.Stats(), c.rx.Stats() }
