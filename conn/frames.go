package conn

import (
	"errors"
	"net"
	"time"

	"github.com/tachyon-ipc/tachyon-go/shmring"
)

// Frames is a connection used as frames instead of bytes: the zero-copy
// frame API of package shmring over the connection's two rings, with the
// connection's handshake, credentials, liveness, deadlines and Close. Get it
// from (*Conn).Frames.
//
// Sending: Acquire returns a writable view inside our ring, which the caller
// fills and publishes with Commit (or abandons with Rollback). Receiving:
// Next (or Drain, for a batch) returns read-only views of the peer's frames,
// valid until Release, which frees them all at once. Nothing is copied by
// the connection, and no system call is made per frame while both sides
// keep up. A call that has to wait spins, then waits on the ring's futex
// word for up to DefaultFramesFutexStage, then parks in the netpoller.
//
// The sending methods (Acquire, Commit, Rollback, Flush, AcquireView,
// CommitView) are for one goroutine at a time, and so are the receiving
// methods (Next, Drain, Release); the two sides may run on different
// goroutines. Close, CloseWrite and the deadlines stay on the Conn and may
// be called from any goroutine: Close wakes every blocked call with
// net.ErrClosed. Views outstanding at Close stay valid, and the rings
// mapped, until Release (and Commit or Rollback) ends them: end every view,
// also after Close, or the rings are never unmapped.
//
// Errors are those of Read and Write, as *net.OpError values: Next returns
// io.EOF (bare) once the peer closed (Close or CloseWrite) and every frame
// it committed was delivered, ECONNRESET if the peer vanished without
// closing; Acquire and Commit return EPIPE once the peer closed or died. A
// deadline that passes (SetReadDeadline, SetWriteDeadline) or a ctx that
// expires fails a waiting or starting call with an error that wraps
// os.ErrDeadlineExceeded (and context.DeadlineExceeded for ctx); a cancelled
// ctx fails it with ctx's cause. A frame larger than the ring can ever hold
// is a *shmring.TooLargeError that names the limit (MaxPayload), at once
// and for good; the connection stays usable. Corrupt shared memory fails
// the call with a *shmring.CorruptError and closes the connection.
//
// Frames are the rings' own frames (ABI.md §2), so both ends may switch to
// frames independently of each other. A peer that reads bytes instead sees
// the payloads concatenated, without their boundaries or type ids (empty
// frames vanish); a peer that writes bytes sends frames of type 0 whose
// boundaries follow the ring's room, not its Write calls (each at most a
// quarter of the ring). Package conn's byte stream is itself such a
// sequence of frames.
type Frames struct {
	c *Conn

	// rdHeld: Next or Drain handed out views, and the reading gate stays
	// held until Release, so that Close cannot unmap the ring under them
	// (the side is released by Release instead); with rdLight, the views
	// are announced in the Conn's lightRx instead of the gate. Only the
	// receiving goroutine touches them.
	rdHeld  bool
	rdLight bool
	one     [1]shmring.Frame // Next's landing place for the frame it takes

	// wrHeld: Acquire handed out a view, and the writing gate stays held
	// until Commit or Rollback, likewise (or, with wrLight, the view is
	// announced in the Conn's lightTx instead of the gate). Only the
	// sending goroutine touches them.
	wrHeld  bool
	wrLight bool
}

// Frames switches the connection to frame mode and returns its frame API.
// It fails with ErrByteMode if Read, Write, ReadFrom or WriteTo was called
// before; afterwards those fail with ErrFrameMode. Later calls return the
// same *Frames. Options (batching) apply to the first call only.
func (c *Conn) Frames(opts ...FramesOption) (*Frames, error) {
	f, err := c.switchToFrames(opts)
	return f, c.opError("frames", err)
}

func (c *Conn) switchToFrames(opts []FramesOption) (*Frames, error) {
	c.framesMu.Lock()
	defer c.framesMu.Unlock()
	if c.frames != nil {
		if len(opts) > 0 {
			return nil, errors.New("conn: Frames options apply to the first call only")
		}
		return c.frames, nil
	}
	cfg := framesConfig{publishEvery: 1, flushDelay: DefaultFlushDelay, spin: -1, futexStage: -1}
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if c.closed.Load() {
		return nil, net.ErrClosed
	}
	if !c.mode.CompareAndSwap(modeUnset, modeFrames) {
		return nil, ErrByteMode
	}
	if cfg.publishEvery > 1 {
		if err := c.underWriteGate(func(p *shmring.Producer) error {
			return p.SetPublishEvery(cfg.publishEvery, cfg.flushDelay)
		}); err != nil {
			return nil, err
		}
	}
	if cfg.earlyWrap > 0 {
		if err := c.underWriteGate(func(p *shmring.Producer) error { return p.SetEarlyWrap(cfg.earlyWrap) }); err != nil {
			return nil, err
		}
	}
	if cfg.spin >= 0 {
		if err := c.setSpin(cfg.spin); err != nil {
			return nil, err
		}
	}
	stage := c.framesStage
	if cfg.futexStage >= 0 {
		stage = cfg.futexStage
	}
	if stage != c.futexStage {
		if err := c.setFutexStage(stage); err != nil {
			return nil, err
		}
	}
	c.frames = &Frames{c: c}
	light := lightAvailable()
	c.lightTx.on.Store(light)
	c.lightRx.on.Store(light)
	return c.frames, nil
}

// setFutexStage gives both sides of c the futex stage d.
func (c *Conn) setFutexStage(d time.Duration) error {
	err := c.underGates(func(p *shmring.Producer) { p.SetFutexStage(d) },
		func(r *shmring.Consumer) { r.SetFutexStage(d) })
	if err == nil {
		c.futexStage = d
	}
	return err
}

// setSpin gives both sides of c the spin budget d.
func (c *Conn) setSpin(d time.Duration) error {
	return c.underGates(func(p *shmring.Producer) { p.SetSpin(d) },
		func(r *shmring.Consumer) { r.SetSpin(d) })
}

// underWriteGate runs f on our writing side under its gate and returns
// f's error, or net.ErrClosed if the connection closed first.
func (c *Conn) underWriteGate(f func(*shmring.Producer) error) error {
	if !c.wrMu.lock(c.closing) {
		return net.ErrClosed
	}
	defer c.unlockWrite()
	return f(c.tx)
}

// underGates runs tx on our writing side and rx on our reading side, each
// under its side's gate.
func (c *Conn) underGates(tx func(*shmring.Producer), rx func(*shmring.Consumer)) error {
	if err := c.underWriteGate(func(p *shmring.Producer) error { tx(p); return nil }); err != nil {
		return err
	}
	if !c.rdMu.lock(c.closing) {
		return net.ErrClosed
	}
	rx(c.rx)
	c.unlockRead()
	return nil
}

// Conn returns the connection, for Close, CloseWrite, deadlines and
// addresses.
func (f *Frames) Conn() *Conn { return f.c }

// MaxPayload is the largest frame Acquire accepts: the capacity of our ring
// less one header. Larger frames fail with a *shmring.TooLargeError.
func (f *Frames) MaxPayload() int { return f.c.tx.MaxPayload() }
