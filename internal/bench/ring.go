package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"time"

	"github.com/tachyon-ipc/tachyon-go/internal/sys"
	"github.com/tachyon-ipc/tachyon-go/shmring"
)

// Raw shmring scenarios: frame ping-pong (spinning, or parked on doorbells)
// and one-way streaming, between this process and its peer.

const roleRing = "bench-ring"

// Ring scenario modes.
const (
	modePingPong = "ping-pong" // ring 0 to the peer, ring 1 back; the peer echoes
	modeOneWay   = "one-way"   // ring 0 to the peer, which counts and reports
)

// ringSetup is the first control message of a ring scenario. The ring fds
// travel with it, followed, with Doorbells, by the ringing ends of the
// measuring process's doorbells (a data and a space doorbell per ring); the
// peer answers its ready message with the ringing ends of its own.
type ringSetup struct {
	Mode      string
	Caps      []int
	Doorbells bool
	Spin      time.Duration
	// FutexStage is shmring.WithFutexStage for doorbell parks; zero
	// leaves it off, as by default.
	FutexStage time.Duration
	// LowWater is the receiving consumer's Consumer.SetLowWater; zero
	// keeps the default.
	LowWater int
}

// streamReport is what a receiving peer sends back once the stream ended.
type streamReport struct {
	Msgs  int64
	Bytes int64
}

// ErrCountMismatch reports a stream whose receiver did not get exactly what
// was sent.
var ErrCountMismatch = errors.New("bench: receiver count differs from what was sent")

// benchType is the type_id of every benchmark frame.
const benchType shmring.TypeID = 1

// ringSet is the rings of one scenario and, optionally, the wake channels:
// each process parks on doorbells of its own and rings the other's.
type ringSet struct {
	rings      []*shmring.Ring
	bells      [][2]*shmring.Doorbell // ours, per ring: data (a consumer waits), space (a producer waits)
	ringFds    []int                  // the ringing ends of bells, until sent
	ringers    [][2]*shmring.Ringer   // the peer's, per ring: data, space
	futexStage time.Duration          // ringSetup.FutexStage
}

func (rs *ringSet) close() {
	for _, r := range rs.rings {
		r.Close()
	}
	for _, b := range rs.bells {
		b[0].Close()
		b[1].Close()
	}
	for _, r := range rs.ringers {
		r[0].Close()
		r[1].Close()
	}
	rs.closeRingFds()
}

// closeRingFds closes our copies of the ringing ends, once sent.
func (rs *ringSet) closeRingFds() {
	sys.CloseAll(rs.ringFds)
	rs.ringFds = nil
}

// newRingSet creates rings of the given capacities, with our doorbells if
// asked.
func newRingSet(caps []int, doorbells bool) (rs *ringSet, err error) {
	rs = &ringSet{}
	defer func() {
		if err != nil {
			rs.close()
		}
	}()
	for i, c := range caps {
		r, err := shmring.Create(fmt.Sprintf("tachyon-bench-%d", i), c)
		if err != nil {
			return nil, err
		}
		rs.rings = append(rs.rings, r)
	}
	if doorbells {
		if err := rs.makeBells(); err != nil {
			return nil, err
		}
	}
	return rs, nil
}

// makeBells creates our data and space doorbells for every ring.
func (rs *ringSet) makeBells() error {
	for range rs.rings {
		var pair [2]*shmring.Doorbell
		for j := range pair {
			d, fd, err := shmring.NewDoorbell()
			if err != nil {
				if j == 1 {
					pair[0].Close()
				}
				return err
			}
			pair[j] = d
			rs.ringFds = append(rs.ringFds, fd)
		}
		rs.bells = append(rs.bells, pair)
	}
	return nil
}

// openRingers takes the ringing ends of the peer's doorbells (data, space
// per ring) and takes ownership of fds.
func (rs *ringSet) openRingers(fds []int) error {
	if len(fds) != 2*len(rs.rings) {
		sys.CloseAll(fds)
		return fmt.Errorf("%w: %d ringers for %d rings", ErrBadMessage, len(fds), len(rs.rings))
	}
	for i := 0; i < len(fds); i += 2 {
		data, err := shmring.OpenRinger(fds[i])
		if err != nil {
			sys.CloseAll(fds[i+1:])
			return err
		}
		space, err := shmring.OpenRinger(fds[i+1])
		if err != nil {
			data.Close()
			sys.CloseAll(fds[i+2:])
			return err
		}
		rs.ringers = append(rs.ringers, [2]*shmring.Ringer{data, space})
	}
	return nil
}

// fds returns the descriptors to send with a ringSetup: the rings', then
// our doorbells' ringing ends. The ring set still owns them.
func (rs *ringSet) fds() []int {
	var fds []int
	for _, r := range rs.rings {
		fds = append(fds, r.Fd())
	}
	return append(fds, rs.ringFds...)
}

// attachRingSet maps the rings a setup message brought, opens the
// measuring process's ringers and creates our own doorbells; it takes
// ownership of fds.
func attachRingSet(s ringSetup, fds []int) (rs *ringSet, err error) {
	want := len(s.Caps)
	if s.Doorbells {
		want *= 3
	}
	if len(fds) != want {
		sys.CloseAll(fds)
		return nil, fmt.Errorf("%w: %d descriptors for %d rings", ErrBadMessage, len(fds), len(s.Caps))
	}
	rs = &ringSet{futexStage: s.FutexStage}
	defer func() {
		if err != nil {
			rs.close()
		}
	}()
	for i, c := range s.Caps {
		r, err := shmring.Attach(fds[i], c)
		sys.Close(fds[i]) // Attach keeps a duplicate
		fds[i] = -1
		if err != nil {
			sys.CloseAll(fds)
			return nil, err
		}
		rs.rings = append(rs.rings, r)
	}
	if !s.Doorbells {
		return rs, nil
	}
	if err := rs.openRingers(fds[len(s.Caps):]); err != nil {
		return nil, err
	}
	return rs, rs.makeBells()
}

// sendReady tells the measuring process that our sides are open, with the
// ringing ends of our doorbells.
func (rs *ringSet) sendReady(ch *Channel) error {
	defer rs.closeRingFds()
	return ch.Send(struct{}{}, rs.ringFds...)
}

// sideOptions are the options of one side of ring i: the spin budget and,
// with doorbells, which one to park on and which one to ring.
func (rs *ringSet) sideOptions(i int, spin time.Duration, producer bool) []shmring.Option {
	opts := spinOption(spin, shmring.WithSpin)
	if rs.bells != nil {
		wait, wake := rs.bells[i][0], rs.ringers[i][1] // a consumer waits for data, rings space
		if producer {
			wait, wake = rs.bells[i][1], rs.ringers[i][0]
		}
		opts = append(opts, shmring.WithDoorbells(wait, wake), shmring.WithFutexStage(rs.futexStage))
	}
	return opts
}

// producer opens the producing side of ring i, bounded by deadline.
func (rs *ringSet) producer(i int, spin time.Duration, deadline time.Time, extra ...shmring.Option) (*shmring.Producer, error) {
	p, err := rs.rings[i].Producer(append(rs.sideOptions(i, spin, true), extra...)...)
	if err == nil {
		p.SetDeadline(deadline)
	}
	return p, err
}

// consumer opens the consuming side of ring i, bounded by deadline.
func (rs *ringSet) consumer(i int, spin time.Duration, deadline time.Time) (*shmring.Consumer, error) {
	c, err := rs.rings[i].Consumer(rs.sideOptions(i, spin, false)...)
	if err == nil {
		c.SetDeadline(deadline)
	}
	return c, err
}

// sendFrame copies payload into one frame, waiting for room.
func sendFrame(p *shmring.Producer, payload []byte) error {
	return sendFrameType(p, payload, benchType)
}

// sendFrameType copies payload into one frame of type t, waiting for room.
func sendFrameType(p *shmring.Producer, payload []byte, t shmring.TypeID) error {
	for {
		b, err := p.Acquire(len(payload))
		if err == nil {
			copy(b, payload)
			return p.Commit(len(payload), t)
		}
		if err != shmring.ErrFull {
			return err
		}
		if err := p.Wait(len(payload)); err != nil {
			return err
		}
	}
}

// recvFrame copies the next frame into buf, waiting for one; io.EOF once
// the producer has closed and every frame was read.
func recvFrame(c *shmring.Consumer, buf []byte) (int, error) {
	for {
		f, err := c.Acquire()
		if err == nil {
			n := copy(buf, f.Payload)
			return n, c.Commit()
		}
		if err != shmring.ErrEmpty {
			return 0, err
		}
		if err := c.Wait(); err != nil {
			return 0, err
		}
	}
}

// echoFrame waits for the next frame and, if it is a benchType frame,
// echoes it as Tachyon's C++ pong does: the payload goes straight from the
// received view into the reply, and the reply is published before the
// request is released, so releasing it is not on the round trip. Frames of
// other types are released unanswered. It returns the request's type;
// io.EOF once the producer has closed and every frame was read.
func echoFrame(c *shmring.Consumer, p *shmring.Producer) (shmring.TypeID, error) {
	for {
		f, err := c.Acquire()
		if err == nil {
			if f.Type == benchType {
				if err := sendFrameType(p, f.Payload, benchType); err != nil {
					return 0, err
				}
			}
			return f.Type, c.Commit()
		}
		if err != shmring.ErrEmpty {
			return 0, err
		}
		if err := c.Wait(); err != nil {
			return 0, err
		}
	}
}

// pow2AtLeast returns the smallest power of two ≥ n.
func pow2AtLeast(n int) int { return 1 << bits.Len(uint(n-1)) }

// ringCapacity picks a capacity that holds at least slots frames of size
// bytes, and at least floor bytes.
func ringCapacity(p Params, slots, floor int) int {
	if p.Capacity > 0 {
		return p.Capacity
	}
	slot := (shmring.HeaderSize + p.Size + shmring.MsgAlignment - 1) &^ (shmring.MsgAlignment - 1)
	return min(max(pow2AtLeast(slots*slot), floor), shmring.MaxCapacity)
}

// publishEvery is the producer's batching for a one-way stream: Tachyon's 32
// commits per publication for small frames, every frame from 1 KiB on.
func publishEvery(size int) int {
	if size < 1024 {
		return 32
	}
	return 1
}

// withRingPeer creates the rings setup describes, starts a ring peer with
// them, waits until it has opened its sides, runs body and stops the peer.
func withRingPeer(p Params, setup ringSetup, body func(*Session, *ringSet) (Result, error)) (Result, error) {
	rs, err := newRingSet(setup.Caps, setup.Doorbells)
	if err == nil {
		rs.futexStage = setup.FutexStage
	}
	if err != nil {
		return Result{}, err
	}
	defer rs.close()
	s, err := StartPeer(roleRing, p, setup, rs.fds()...)
	rs.closeRingFds()
	if err != nil {
		return Result{}, err
	}
	// The peer is ready once it opened its sides; with doorbells, its
	// ready message brings the ringing ends of its own.
	var ready struct{}
	fds, err := s.RecvFds(&ready, 2*len(rs.rings))
	if err == nil && setup.Doorbells {
		err = rs.openRingers(fds)
	} else if err == nil && len(fds) > 0 {
		sys.CloseAll(fds)
		err = fmt.Errorf("%w: unexpected ringers", ErrBadMessage)
	}
	if err != nil {
		return Result{}, s.Close(err)
	}
	res, err := body(s, rs)
	return res, s.Close(err)
}

// runRingPingPong bounces Size-byte frames off the peer. parked makes both
// sides park at once on their doorbells, so every frame wakes a parked
// goroutine; futexStage (shmring.WithFutexStage) has those parks wait on the
// futex word first.
func runRingPingPong(_ context.Context, p Params, parked bool, futexStage time.Duration) (Result, error) {
	cap := ringCapacity(p, 4, 64<<10)
	spin := p.Spin
	if parked {
		spin = NoSpin
	}
	setup := ringSetup{Mode: modePingPong, Caps: []int{cap, cap}, Doorbells: parked, Spin: spin, FutexStage: futexStage}
	return withRingPeer(p, setup, func(_ *Session, rs *ringSet) (Result, error) { return ringPingPong(rs, p, spin) })
}

func ringPingPong(rs *ringSet, p Params, spin time.Duration) (Result, error) {
	deadline := time.Now().Add(p.Limit())
	prod, err := rs.producer(0, spin, deadline)
	if err != nil {
		return Result{}, err
	}
	cons, err := rs.consumer(1, spin, deadline)
	if err != nil {
		return Result{}, err
	}
	defer cons.Close()
	msg, buf := payload(p.Size), make([]byte, p.Size)
	res, err := MeasureRTT(p, func() error {
		if err := sendFrame(prod, msg); err != nil {
			return err
		}
		n, err := recvFrame(cons, buf)
		if err != nil {
			return err
		}
		return checkEcho(buf[:n], msg)
	})
	prod.Close()
	if err != nil {
		return res, err
	}
	// The peer closes its side once it has read our EOF.
	if _, err := recvFrame(cons, buf); err != io.EOF {
		return res, fmt.Errorf("bench: peer did not end the echo: %v", err)
	}
	return res, nil
}

// runRingOneWay streams Size-byte frames to the peer, which copies each one
// out and reports what it got.
func runRingOneWay(_ context.Context, p Params) (Result, error) {
	return ringOneWayLowWater(p, 0)
}

// StreamLowWater is the receiver's low-water mark in the one-way-lowwater
// rows (shmring.Consumer.SetLowWater).
const StreamLowWater = 64 << 10

// ringOneWayLowWater is runRingOneWay with the receiver waiting for
// lowWater bytes of frames before it reads (at most half the ring).
func ringOneWayLowWater(p Params, lowWater int) (Result, error) {
	capacity := ringCapacity(p, 16, 1<<20)
	setup := ringSetup{Mode: modeOneWay, Caps: []int{capacity}, Spin: p.Spin, LowWater: min(lowWater, capacity/2)}
	return withRingPeer(p, setup, func(s *Session, rs *ringSet) (Result, error) { return ringOneWay(s, rs, p) })
}

func ringOneWay(s *Session, rs *ringSet, p Params) (Result, error) {
	prod, err := rs.producer(0, p.Spin, time.Now().Add(p.Limit()), shmring.WithPublishEvery(publishEvery(p.Size)))
	if err != nil {
		return Result{}, err
	}
	defer prod.Close()
	msg := payload(p.Size)
	return MeasureStream(p, func() error { return sendFrame(prod, msg) }, func(total int64) error {
		prod.Close()
		var got streamReport
		if err := s.Recv(&got); err != nil {
			return err
		}
		return checkReport(got, total, p.Size)
	})
}

func checkReport(got streamReport, msgs int64, size int) error {
	if got.Bytes != msgs*int64(size) || got.Msgs != 0 && got.Msgs != msgs {
		return fmt.Errorf("%w: sent %d × %d bytes, received %d messages, %d bytes",
			ErrCountMismatch, msgs, size, got.Msgs, got.Bytes)
	}
	return nil
}

// ringPeer is the peer side of both ring modes.
func ringPeer(ctx context.Context, ch *Channel) error {
	var setup ringSetup
	fds, err := ch.RecvFds(&setup, 6)
	if err != nil {
		return err
	}
	rs, err := attachRingSet(setup, fds)
	if err != nil {
		return err
	}
	defer rs.close()
	deadline, _ := ctx.Deadline()
	cons, err := rs.consumer(0, setup.Spin, deadline)
	if err != nil {
		return err
	}
	defer cons.Close()
	if err := cons.SetLowWater(setup.LowWater); err != nil {
		return err
	}
	switch setup.Mode {
	case modePingPong:
		if len(rs.rings) != 2 {
			return fmt.Errorf("%w: ping-pong needs two rings", ErrBadMessage)
		}
		prod, err := rs.producer(1, setup.Spin, deadline)
		if err != nil {
			return err
		}
		defer prod.Close()
		if err := rs.sendReady(ch); err != nil {
			return err
		}
		for {
			_, err := echoFrame(cons, prod)
			if err == io.EOF {
				return prod.Close()
			}
			if err != nil {
				return err
			}
		}
	case modeOneWay:
		if err := rs.sendReady(ch); err != nil {
			return err
		}
		got, err := drainRing(cons, rs.rings[0].MaxPayload())
		if err != nil {
			return err
		}
		return ch.Send(got)
	}
	return fmt.Errorf("%w: ring mode %q", ErrBadMessage, setup.Mode)
}

// drainRing reads frames in batches until EOF, copying each payload out as
// a reader would, and counts them.
func drainRing(c *shmring.Consumer, maxPayload int) (streamReport, error) {
	var got streamReport
	frames := make([]shmring.Frame, 64)
	buf := make([]byte, maxPayload)
	for {
		n, err := c.Drain(frames)
		switch {
		case err == shmring.ErrEmpty:
			if err := c.Wait(); err != nil {
				return got, err
			}
			continue
		case err == io.EOF:
			return got, nil
		case err != nil:
			return got, err
		}
		for _, f := range frames[:n] {
			got.Bytes += int64(copy(buf, f.Payload))
		}
		got.Msgs += int64(n)
		if err := c.Commit(); err != nil {
			return got, err
		}
	}
}
