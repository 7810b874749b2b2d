package conn

import (
	"context"
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
// and reads from the other. It implements net.Conn, io.WriterTo and
// io.ReaderFrom; all its methods are safe for concurrent use, and concurrent
// Writes are never interleaved.
type Conn struct {
	local, remote *Addr
	sock          *net.UnixConn // liveness channel; nil for Pipe ends
	watchDone     chan struct{} // closed when watch returns; nil without sock

	txRing, rxRing *shmring.Ring
	wake           wakeSet
	protocol       uint32        // the dialer's WithProtocol
	futexStage     time.Duration // the sides' futex stage, from WithFutexStage
	framesStage    time.Duration // frame mode's, unless Frames is told otherwise
	minChunk       int           // smallest frame payload Write accepts while the ring is short of room
	maxChunk       int           // largest frame payload Write produces

	// Every holder of rdMu or wrMu releases it through unlockRead or
	// unlockWrite, which settle a Close or CloseWrite that could not take
	// the gate itself: Close never waits for a goroutine stuck in user code
	// (the io.Writer of WriteTo, the io.Reader of ReadFrom), and goroutines
	// queued on a gate give up when closing is closed.
	rdMu       *gate             // serialises reading; guards rx and rdView
	rx         *shmring.Consumer // reads the peer's ring
	rdView     []byte            // unread rest of the frame being read: a view into rxRing
	rdDeadline deadline
	rdState    atomic.Int32 // sideOpen, then sideReleased once rx is closed

	wrMu       *gate             // serialises writing; guards tx
	tx         *shmring.Producer // writes our ring
	wrDeadline deadline
	wrState    atomic.Int32 // sideOpen, sideShut (tx closed), sideReleased
	shutWr     atomic.Bool  // CloseWrite was called

	// Frame mode's sides may go without their gates (light_side.go).
	lightTx, lightRx lightSide

	closed   atomic.Bool   // Close has begun
	closing  chan struct{} // closed by Close: gate waiters give up
	peerGone atomic.Bool   // the liveness socket reported the peer gone
	halves   atomic.Int32  // sides released; the second releases the rings

	mode     atomic.Int32 // modeUnset, then for good modeBytes (Read, Write) or modeFrames (Frames)
	framesMu sync.Mutex   // guards frames
	frames   *Frames      // made by the first Frames call
}

// Progress of one side (reading or writing) towards Close.
const (
	sideOpen     = 0
	sideShut     = 1 // writing side only: our ring carries the EOF flag
	sideReleased = 2
)

// endpoint says which rings a side uses, and carries the handshake's state.
type endpoint struct {
	server bool
	cfg    config
	local  *Addr
	remote *Addr
	sock   *net.UnixConn

	deadline      time.Time // the whole handshake's, from ctx; zero: none
	helloDeadline time.Time // accepting side: when the client's hello must have arrived
	phase         *string   // what the handshake waits for, for a timeout's message
}

// wakeSet is a connection's half of the wake channels (ABI.md §5.4): the
// doorbells we park on (data: for frames on the ring we read; space: for
// room on the ring we write), and the ringers of the peer's doorbells of
// the same names.
type wakeSet struct {
	bells   [numBells]*shmring.Doorbell
	ringers [numBells]*shmring.Ringer
}

func (w wakeSet) close() {
	closeBells(w.bells)
	closeRingers(w.ringers)
}

// newConn assembles a connection from mapped rings and wake channels,
// taking ownership of all of them (and of sock), also on error.
func newConn(ep endpoint, toServer, toClient *shmring.Ring, wake wakeSet) (*Conn, error) {
	c := &Conn{local: ep.local, remote: ep.remote, sock: ep.sock, wake: wake, protocol: ep.cfg.protocol,
		futexStage: ep.cfg.futexStage, framesStage: DefaultFramesFutexStage,
		rdMu: newGate(), wrMu: newGate(), closing: make(chan struct{})}
	if ep.cfg.futexStageSet {
		c.framesStage = ep.cfg.futexStage
	}
	var err error
	c.txRing, c.rxRing = toServer, toClient
	if ep.server {
		c.txRing, c.rxRing = toClient, toServer
	}
	if err == nil && ep.cfg.numaNode >= 0 {
		if err = c.txRing.SetNUMANode(ep.cfg.numaNode); err == nil {
			err = c.rxRing.SetNUMANode(ep.cfg.numaNode)
		}
	}
	if err == nil && ep.cfg.prefault { // after the NUMA policy, which applies to new pages
		if err = c.txRing.Prefault(); err == nil {
			err = c.rxRing.Prefault()
		}
	}
	if err == nil {
		// We park on our space doorbell and wake the peer's reader.
		c.tx, err = c.txRing.Producer(append(ep.cfg.sideOptions(), shmring.WithDoorbells(wake.bells[bellSpace], wake.ringers[bellData]))...)
	}
	if err == nil {
		// We park on our data doorbell and wake the peer's writer.
		c.rx, err = c.rxRing.Consumer(append(ep.cfg.sideOptions(), shmring.WithDoorbells(wake.bells[bellData], wake.ringers[bellSpace]))...)
	}
	if err != nil {
		if c.tx != nil {
			c.tx.Close() // an open side holds its ring's mapping
		}
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

// Protocol returns what the dialer said it will speak over the connection
// (WithProtocol), on both ends; 0 if it said nothing.
func (c *Conn) Protocol() uint32 { return c.protocol }

// RingSizes reports the capacities of the ring this end writes and of the
// ring it reads, as the accepting side granted them.
func (c *Conn) RingSizes() (send, receive int) {
	return c.txRing.Capacity(), c.rxRing.Capacity()
}

// Read reads bytes the peer wrote, blocking until at least one is available.
func (c *Conn) Read(b []byte) (int, error) {
	n, err := c.read(b)
	return n, c.opError("read", err)
}

func (c *Conn) read(b []byte) (int, error) {
	if err := c.useBytes(); err != nil {
		return 0, err
	}
	if !c.rdMu.lock(c.closing) {
		return 0, net.ErrClosed
	}
	defer c.unlockRead()
	if err := c.readable(); err != nil {
		return 0, err
	}
	if len(b) == 0 {
		return 0, nil
	}
	if len(c.rdView) == 0 {
		if err := c.fill(); err != nil {
			return 0, err
		}
	}
	// Copy what is ready, frame after frame, without blocking again.
	n := 0
	for {
		k := copy(b[n:], c.rdView)
		c.rdView = c.rdView[k:]
		n += k
		if n == len(b) {
			break
		}
		f, err := c.rx.Acquire()
		if err != nil {
			break // seen again by the next call
		}
		c.rdView = f.Payload
	}
	if len(c.rdView) == 0 {
		c.rx.Commit() // releases every frame this call finished
	} else {
		c.rx.CommitExceptLast() // ... but the one it stopped in
	}
	// Publish the room this call freed: the caller may not read again for
	// a while, and a writer that started waiting just before the commit
	// would otherwise park on a stale tail.
	c.rx.Flush()
	return n, nil
}

// readable is the check before any reading.
func (c *Conn) readable() error {
	switch {
	case c.closed.Load():
		return net.ErrClosed
	case c.rdDeadline.expired():
		return os.ErrDeadlineExceeded
	}
	return nil
}

// fill makes rdView non-empty, waiting for a frame if none is ready. It
// returns io.EOF at the end of the stream.
func (c *Conn) fill() error {
	for {
		// Load before looking at the ring: a peer that closes cleanly sets
		// its EOF flag before its socket closes, so if it was gone before
		// this look, the look sees the flag.
		gone := c.peerGone.Load()
		f, err := c.rx.Acquire()
		switch {
		case err == nil && len(f.Payload) > 0:
			c.rdView = f.Payload
			return nil
		case err == nil:
			c.rx.Commit() // an empty frame: nothing else is held
			continue
		}
		if err := c.awaitFrame(context.Background(), gone, err); err != nil {
			return err
		}
	}
}

// awaitFrame takes over after an Acquire of the peer's ring failed with
// err, gone being the liveness flag as loaded before it: it returns the
// error that ends the read (io.EOF at the end of the stream), or nil once a
// frame may be ready, after waiting for one until the read deadline or ctx
// ends the wait.
func (c *Conn) awaitFrame(ctx context.Context, gone bool, err error) error {
	switch {
	case err == io.EOF:
		return io.EOF
	case err != shmring.ErrEmpty:
		return c.broken(err)
	case gone:
		return syscall.ECONNRESET
	}
	if err := c.waitData(ctx); err != nil {
		return err
	}
	return c.readable()
}

// Write writes b into the ring, in frames of at most a quarter of the ring,
// blocking while the ring is full. It returns early only with an error.
func (c *Conn) Write(b []byte) (int, error) {
	n, err := c.write(b)
	return n, c.opError("write", err)
}

func (c *Conn) write(b []byte) (int, error) {
	if err := c.useBytes(); err != nil {
		return 0, err
	}
	if !c.wrMu.lock(c.closing) {
		return 0, net.ErrClosed
	}
	defer c.unlockWrite()
	if err := c.writable(); err != nil {
		return 0, err
	}
	n := 0
	for n < len(b) {
		want := min(len(b)-n, c.maxChunk)
		buf, err := c.reserve(context.Background(), min(want, c.minChunk), want)
		if err != nil {
			return n, err
		}
		copy(buf, b[n:])
		c.tx.Commit(len(buf), 0)
		n += len(buf)
	}
	return n, nil
}

// writable is the check before (and between) ring operations when writing.
func (c *Conn) writable() error {
	switch {
	case c.closed.Load():
		return net.ErrClosed
	case c.shutWr.Load(), c.peerGone.Load():
		return syscall.EPIPE
	case c.wrDeadline.expired():
		return os.ErrDeadlineExceeded
	}
	return nil
}

// reserve acquires a frame of least to want payload bytes in our ring,
// waiting while the ring is full, until the write deadline or ctx ends the
// wait.
func (c *Conn) reserve(ctx context.Context, least, want int) ([]byte, error) {
	for {
		buf, err := c.tx.AcquireUpTo(least, want)
		if err == nil {
			return buf, nil
		}
		if err != shmring.ErrFull {
			return nil, c.txError(err)
		}
		if c.peerGone.Load() {
			return nil, syscall.EPIPE
		}
		if err := c.waitRoom(ctx, least); err != nil {
			return nil, err
		}
		if err := c.writable(); err != nil {
			return nil, err
		}
	}
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
// the connection is closed and the error returned.
func (c *Conn) broken(err error) error {
	if errors.Is(err, shmring.ErrClosed) {
		return net.ErrClosed
	}
	c.Close()
	return err
}

// opError wraps err as the net package does; io.EOF stays bare.
func (c *Conn) opError(op string, err error) error {
	if err == nil || err == io.EOF {
		return err
	}
	return &net.OpError{Op: op, Net: Network, Source: c.local, Addr: c.remote, Err: err}
}

// LocalAddr returns the socket path this end was made on.
func (c *Conn) LocalAddr() net.Addr { return c.local }

// RemoteAddr returns the peer's address, a *Addr: the socket path and,
// where known, the peer's pid, uid and gid. Its String names the peer
// process: "pid 1234 uid 1000 on /run/app.sock".
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
