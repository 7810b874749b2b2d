package shmring

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tachyon-ipc/tachyon-go/internal/sys"
)

// A wake channel has two ends. The side that waits holds a Doorbell: one end
// of a Unix stream socket pair that only its own process ever holds. The side
// that wakes it holds a Ringer: the other end, handed over once (across
// processes with SCM_RIGHTS).
//
// Nothing the ringing peer can do to its end reaches the waiting side's own
// file description: it cannot read the doorbell's bytes (steal a wake-up),
// change its flags (make a read block an OS thread) or fill anything the
// waiting side writes to. The waiting side's own interruptions (Kick, for
// Close and deadlines) go through the Go runtime's poller, never through the
// socket. A ringer sends with MSG_DONTWAIT, so ringing never blocks whatever
// the peer did to the flags of the description it shares. At worst a
// hostile peer floods the doorbell (spurious wake-ups, which callers absorb
// by re-checking) or closes its end, after which Wait falls back to bounded
// polling (DeadBellPoll).

// DeadBellPoll is how often a Wait re-checks its condition once the ringing
// end of its doorbell is gone (the peer closed or shut it down).
const DeadBellPoll = time.Millisecond

// Doorbell is the end of a wake channel that one side of a ring parks on.
// Parking goes through Go's network poller, so a waiting goroutine holds no
// OS thread: a thousand idle connections cost a thousand parked goroutines,
// not a thousand threads.
//
// Rings coalesce: several rings before a wait cause one wake-up, and a stale
// ring causes at most one spurious wake-up, which callers absorb by
// re-checking their condition. One goroutine at a time may Wait; Kick and
// Close are safe from any goroutine.
type Doorbell struct {
	f      *os.File
	rc     syscall.RawConn
	kicked atomic.Bool   // Kick was called; the next or current Wait returns
	kickCh chan struct{} // Kick's signal to a Wait polling a dead doorbell
	dead   atomic.Bool   // the ringing end is gone: Wait polls
	closed chan struct{} // closed by Close
	once   sync.Once

	// drain is d.drainReady, made once: a method value or closure built in
	// Wait would be an allocation per park. drainErr is its result.
	drain    func(fd uintptr) bool
	drainErr error
}

// NewDoorbell creates a doorbell and returns, with it, the descriptor of the
// ringing end, for OpenRinger in the side that rings (in another process:
// pass it over a Unix socket, then close it). The caller owns ringFd.
func NewDoorbell() (d *Doorbell, ringFd int, err error) {
	ours, theirs, err := sys.NewWakePair()
	if err != nil {
		return nil, -1, err
	}
	f := os.NewFile(uintptr(ours), "tachyon-doorbell")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		sys.Close(theirs)
		return nil, -1, err
	}
	d = &Doorbell{f: f, rc: rc, kickCh: make(chan struct{}, 1), closed: make(chan struct{})}
	d.drain = d.drainReady
	return d, theirs, nil
}

// NewDoorbellPair creates a doorbell and its ringer in this process.
func NewDoorbellPair() (*Doorbell, *Ringer, error) {
	d, fd, err := NewDoorbell()
	if err != nil {
		return nil, nil, err
	}
	r, err := OpenRinger(fd)
	if err != nil {
		d.Close()
		return nil, nil, err
	}
	return d, r, nil
}

// Wait parks the calling goroutine until the doorbell rings, Kick is called,
// until passes (os.ErrDeadlineExceeded; a zero until means no limit) or the
// doorbell is closed (ErrClosed). It may also return nil spuriously. One
// goroutine waits at a time (a ring side's, which owns the doorbell).
func (d *Doorbell) Wait(until time.Time) error {
	if d.dead.Load() {
		return d.poll(until)
	}
	// Set the deadline, then look at kicked: Kick stores kicked, then moves
	// the deadline into the past, so either this load sees its store or its
	// deadline comes after ours and wakes the read.
	if err := d.f.SetReadDeadline(until); err != nil {
		return mapPollError(err)
	}
	if d.kicked.Swap(false) {
		return nil
	}
	d.drainErr = nil
	err := d.rc.Read(d.drain)
	rerr := d.drainErr
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		if d.kicked.Swap(false) {
			return nil
		}
		return os.ErrDeadlineExceeded
	case err != nil:
		return mapPollError(err)
	}
	return rerr
}

// drainReady is Wait's read of the doorbell's descriptor: it drains the
// wake-ups, notes the ringing end's going in dead, and reports whether the
// read is done (false: nothing yet, park in the netpoller).
func (d *Doorbell) drainReady(fd uintptr) bool {
	var eof bool
	eof, d.drainErr = sys.DrainWake(int(fd))
	if eof {
		d.dead.Store(true)
	}
	return d.drainErr != syscall.EAGAIN
}

// poll is Wait on a doorbell whose ringing end is gone: a timed sleep of at
// most DeadBellPoll that Kick and Close cut short.
func (d *Doorbell) poll(until time.Time) error {
	if d.kicked.Swap(false) {
		return nil
	}
	slice := DeadBellPoll
	if !until.IsZero() {
		left := time.Until(until)
		if left <= 0 {
			return os.ErrDeadlineExceeded
		}
		slice = min(slice, left)
	}
	t := time.NewTimer(slice)
	defer t.Stop()
	select {
	case <-d.kickCh:
		d.kicked.Store(false)
	case <-d.closed:
		return ErrClosed
	case <-t.C:
	}
	return nil
}

// Kick makes a Wait in progress, or the next one, return nil. It goes
// through this process's poller only: no peer can absorb it.
func (d *Doorbell) Kick() {
	d.kicked.Store(true)
	select {
	case d.kickCh <- struct{}{}:
	default:
	}
	d.f.SetReadDeadline(time.Unix(1, 0))
}

// Close closes the doorbell and wakes a parked Wait with ErrClosed.
func (d *Doorbell) Close() error {
	d.once.Do(func() { close(d.closed) })
	return d.f.Close()
}

func mapPollError(err error) error {
	if errors.Is(err, os.ErrClosed) {
		return ErrClosed
	}
	return err
}

// Ringer is the end of a wake channel that wakes the side parked on the
// doorbell. Ring never blocks: it sends with MSG_DONTWAIT, whatever the flags
// of the (possibly shared) file description say.
type Ringer struct {
	mu sync.RWMutex // guards fd against Close during a Ring
	fd int          // -1 once closed
}

// OpenRinger wraps the ringing end of a doorbell (NewDoorbell's ringFd, or
// one received from a peer), after checking that it is a Unix stream
// socket. It takes ownership of fd, also on error.
func OpenRinger(fd int) (*Ringer, error) {
	if err := sys.CheckWakeEnd(fd); err != nil {
		sys.Close(fd)
		return nil, fmt.Errorf("shmring: ringer: %w", err)
	}
	return &Ringer{fd: fd}, nil
}

// Ring wakes the side parked on the doorbell, or makes its next Wait return
// at once: one send system call that never blocks. A doorbell whose queue is
// full already has a wake-up pending, and one whose side is gone needs none,
// so the only error reported is ErrClosed, after Close.
func (r *Ringer) Ring() error {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.fd < 0 {
		return ErrClosed
	}
	sys.SendWake(r.fd)
	return nil
}

// Close closes the ringing end; the doorbell's Wait then polls.
func (r *Ringer) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fd < 0 {
		return ErrClosed
	}
	sys.Close(r.fd)
	r.fd = -1
	return nil
}
