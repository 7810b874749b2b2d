package conn

import (
	"errors"
	"fmt"
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
		if !c.wrMu.lock(c.closing) {
			return nil, net.ErrClosed
		}
		err := c.tx.SetPublishEvery(cfg.publishEvery, cfg.flushDelay)
		c.unlockWrite()
		if err != nil {
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

// underGates runs tx on our writing side and rx on our reading side, each
// under its side's gate.
func (c *Conn) underGates(tx func(*shmring.Producer), rx func(*shmring.Consumer)) error {
	if !c.wrMu.lock(c.closing) {
		return net.ErrClosed
	}
	tx(c.tx)
	c.unlockWrite()
	if !c.rdMu.lock(c.closing) {
		return net.ErrClosed
	}
	rx(c.rx)
	c.unlockRead()
	return nil
}

// WithFramesSpin sets how long a blocked call of frame mode spins before it
// parks, on both sides of this end (WithSpin sets it for the whole
// connection at Dial or Accept). A request/response protocol whose round
// trip, including the peer's work, often outlasts conn's 20 µs default does
// better with a budget that covers it: a side that parks makes its peer's
// next wait include a wake-up, so the peer parks too.
func WithFramesSpin(d time.Duration) FramesOption {
	return func(c *framesConfig) error {
		if d < 0 {
			return fmt.Errorf("conn: negative spin budget %v", d)
		}
		c.spin = d
		return nil
	}
}

// DefaultFlushDelay is how long a batching Frames (WithPublishEvery) may
// hold committed frames unpublished while idle, unless WithFlushDelay says
// otherwise.
const DefaultFlushDelay = 50 * time.Microsecond

// FramesOption configures frame mode (see (*Conn).Frames).
type FramesOption func(*framesConfig) error

type framesConfig struct {
	publishEvery int
	flushDelay   time.Duration
	spin         time.Duration // WithFramesSpin; negative: keep the connection's
	futexStage   time.Duration // WithFramesFutexStage; negative: frame mode's default
}

// DefaultFramesFutexStage is the futex stage of frame mode on a connection
// opened without WithFutexStage: a side that stops spinning waits on the
// ring's futex word for up to this long, as the raw ring's sides do, before
// it parks in the netpoller. The futex wakes it faster than a doorbell, but
// holds an OS thread while it waits: at most max(2, GOMAXPROCS) threads of
// a process at once, the others go straight to the netpoller. Measured
// between two processes (tachyon-bench -only shm-raw/ping-pong,
// shm-raw/one-way,shm-frames,unix/echo,unix/io.Copy -sizes 32,1K,64K
// -count 3, three runs, 2026-12-06 21:54 UTC): a 32-byte frame ping-pong's
// p99 was 1.0-1.3 µs with the stage, as the raw ring's 1.1-1.3 µs,
// against 18-28 µs without it (the shm-frames/ping-pong-bell row), where a
// side that parked on its doorbell woke too late for the other side's spin,
// which parked too, and against 40 µs for an echo over a Unix socket in the
// same runs; 1 KiB streams moved 0.97-1.12× the raw ring's throughput
// (medians of per-round ratios) and 8.8-11.5× io.Copy's over a Unix socket.
const DefaultFramesFutexStage = time.Millisecond

// WithFramesFutexStage sets frame mode's futex stage (see
// DefaultFramesFutexStage and WithFutexStage); zero parks in the netpoller
// at once, as byte mode does by default.
func WithFramesFutexStage(d time.Duration) FramesOption {
	return func(c *framesConfig) error {
		if d < 0 {
			return fmt.Errorf("conn: negative futex stage %v", d)
		}
		c.futexStage = d
		return nil
	}
}

// WithPublishEvery makes Commit publish only every n frames, as Tachyon
// does with n = 32, instead of after each one (see
// shmring.WithPublishEvery): fewer cache-line transfers when streaming
// small frames. Frames committed but not yet published are published by
// Flush, before Acquire waits for room, by Close and CloseWrite, and at the
// latest after the flush delay (WithFlushDelay).
func WithPublishEvery(n int) FramesOption {
	return func(c *framesConfig) error {
		if n < 1 {
			return fmt.Errorf("conn: publish interval %d must be at least 1", n)
		}
		c.publishEvery = n
		return nil
	}
}

// WithFlushDelay sets how long a batching Frames may hold committed frames
// unpublished while idle; default DefaultFlushDelay.
func WithFlushDelay(d time.Duration) FramesOption {
	return func(c *framesConfig) error {
		if d <= 0 {
			return fmt.Errorf("conn: flush delay %v must be positive", d)
		}
		c.flushDelay = d
		return nil
	}
}

// Conn returns the connection, for Close, CloseWrite, deadlines and
// addresses.
func (f *Frames) Conn() *Conn { return f.c }

// MaxPayload is the largest frame Acquire accepts: the capacity of our ring
// less one header. Larger frames fail with a *shmring.TooLargeError.
func (f *Frames) MaxPayload() int { return f.c.tx.MaxPayload() }
