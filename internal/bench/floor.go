package bench

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/tachyon-ipc/tachyon-go/internal/sys"
)

// The cache-line floor probe: two processes bounce one atomic u64 in a
// shared memfd. The measuring side stores an odd n, the peer waits for it and
// stores n+1, the measuring side waits for n+1. Nothing can carry a message
// between two processes faster on this machine: it is the yardstick every
// round trip is compared with.
//
// Both sides spin. One that has waited spinChecks polls (tens of µs, far
// beyond a round trip between two running CPUs) yields its CPU: when the two
// processes share one CPU, that lets the other run at once instead of after
// a whole time slice. Between two running CPUs it never happens.

const roleFloor = "bench-floor"

// floorSize is the probe segment: one page, of which one word is used.
const floorSize = 4096

// floorStop tells the peer to return.
const floorStop = ^uint64(0)

// ErrTimeout reports a peer that stopped answering.
var ErrTimeout = errors.New("bench: peer stopped answering")

// spinChecks is how many polls a spin loop makes between clock reads.
const spinChecks = 1 << 14

// floorWord is the probe's word at the start of its segment.
func floorWord(mem []byte) *atomic.Uint64 { return (*atomic.Uint64)(unsafe.Pointer(&mem[0])) }

// startProbe creates a sealed memfd of size bytes, maps it, starts the
// peer playing role with it and waits until the peer is ready. done unmaps
// and closes; the caller still ends the session.
func startProbe(name string, size int, role string, p Params) (mem []byte, s *Session, done func(), err error) {
	fd, err := sys.CreateSealedMemfd(name, size)
	if err != nil {
		return nil, nil, nil, err
	}
	mem, err = sys.MapShared(fd, size)
	if err != nil {
		sys.Close(fd)
		return nil, nil, nil, err
	}
	done = func() { sys.Unmap(mem); sys.Close(fd) }
	s, err = StartPeer(role, p, struct{}{}, fd)
	if err != nil {
		done()
		return nil, nil, nil, err
	}
	var ready struct{}
	if err := s.Recv(&ready); err != nil {
		done()
		return nil, nil, nil, s.Close(err)
	}
	return mem, s, done, nil
}

// attachProbe is startProbe's peer half: it receives the one descriptor,
// checks that it is a sealed memfd of size bytes, maps it and tells the
// measuring side it is ready. done unmaps and closes.
func attachProbe(ch *Channel, size int, what string) (mem []byte, done func(), err error) {
	var setup struct{}
	fds, err := ch.RecvFds(&setup, 1)
	if err != nil {
		return nil, nil, err
	}
	if len(fds) != 1 {
		sys.CloseAll(fds)
		return nil, nil, fmt.Errorf("%w: %s needs one descriptor", ErrBadMessage, what)
	}
	fd := fds[0]
	if err := sys.CheckSealedMemfd(fd, size); err != nil {
		sys.Close(fd)
		return nil, nil, err
	}
	if mem, err = sys.MapShared(fd, size); err != nil {
		sys.Close(fd)
		return nil, nil, err
	}
	done = func() { sys.Unmap(mem); sys.Close(fd) }
	if err := ch.Send(struct{}{}); err != nil {
		done()
		return nil, nil, err
	}
	return mem, done, nil
}

func runFloor(_ context.Context, p Params) (Result, error) {
	mem, s, done, err := startProbe("tachyon-bench-floor", floorSize, roleFloor, p)
	if err != nil {
		return Result{}, err
	}
	defer done()
	word := floorWord(mem)
	deadline := time.Now().Add(p.Limit())
	v := uint64(1)
	res, err := MeasureRTT(p, func() error {
		word.Store(v)
		for i := 1; word.Load() != v+1; i++ {
			if i%spinChecks == 0 {
				if err := s.alive(deadline); err != nil {
					return err
				}
				yieldCPU()
			}
		}
		v += 2
		return nil
	})
	res.Bytes = 0 // one word, no payload
	word.Store(floorStop)
	return res, s.Close(err)
}

// alive reports ErrTimeout past deadline and an error once the peer exited.
func (s *Session) alive(deadline time.Time) error {
	select {
	case <-s.Done():
		return fmt.Errorf("%w: it exited", ErrTimeout)
	default:
	}
	if time.Now().After(deadline) {
		return ErrTimeout
	}
	return nil
}

func floorPeer(ctx context.Context, ch *Channel) error {
	mem, done, err := attachProbe(ch, floorSize, "floor probe")
	if err != nil {
		return err
	}
	defer done()
	word := floorWord(mem)
	var last uint64
	for i := 1; ; i++ {
		switch x := word.Load(); {
		case x == floorStop:
			return nil
		case x != last && x&1 == 1:
			word.Store(x + 1)
			last = x
		case i%spinChecks == 0:
			if err := ctx.Err(); err != nil {
				return err
			}
			yieldCPU()
		}
	}
}
