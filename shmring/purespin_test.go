package shmring_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/tachyon-ipc/tachyon-go/internal/peerproc"
	"github.com/tachyon-ipc/tachyon-go/internal/sys"
	"github.com/tachyon-ipc/tachyon-go/shmring"
)

// psGuard bounds every blocking step of these tests; it is a hang detector,
// not a performance threshold.
const psGuard = 2 * time.Minute

// offConsumerSleeping is consumer_sleeping's offset (ABI.md §1), which a
// Tachyon peer's set_polling_mode writes from either side.
const offConsumerSleeping = 384

const psCapacity = 1 << 14

func init() {
	peerproc.Register("shmring-purespin-echo", psEchoPeer)
	peerproc.Register("shmring-purespin-tachyon-producer", psTachyonProducerPeer)
}

// psOptions names the side options a peer process is asked to use.
func psOptions(name string) []shmring.Option {
	switch name {
	case "pure":
		return []shmring.Option{shmring.WithPureSpin(shmring.NeverNap)}
	case "pure-idle": // a pure-spin side that naps once idle for a millisecond
		return []shmring.Option{shmring.WithPureSpin(time.Millisecond)}
	case "pure-nap": // a pure-spin side that sleeps at once
		return []shmring.Option{shmring.WithPureSpin(0)}
	case "hybrid-nospin":
		return []shmring.Option{shmring.WithSpin(0)}
	}
	return nil
}

// psSendRings passes the rings' memfds to the peer.
func psSendRings(uc *net.UnixConn, rings ...*shmring.Ring) error {
	fds := make([]int, len(rings))
	for i, r := range rings {
		fds[i] = r.Fd()
	}
	return sys.SendFds(uc, []byte{byte(len(rings))}, fds...)
}

// psRecvRings attaches the rings the test sent.
func psRecvRings(n int) ([]*shmring.Ring, error) {
	uc, err := peerproc.Socket()
	if err != nil {
		return nil, err
	}
	defer uc.Close()
	var b [1]byte
	_, fds, err := sys.RecvFds(uc, b[:], n)
	if err != nil {
		return nil, err
	}
	defer sys.CloseAll(fds)
	if len(fds) != n {
		return nil, fmt.Errorf("got %d ring descriptors, want %d", len(fds), n)
	}
	rings := make([]*shmring.Ring, n)
	for i, fd := range fds {
		if rings[i], err = shmring.Attach(fd, psCapacity); err != nil {
			return nil, err
		}
	}
	return rings, nil
}

// psEchoPeer echoes every frame of ring 0 into ring 1 until EOF. args are
// the option names of its consumer (ring 0) and producer (ring 1).
func psEchoPeer(args []string) error {
	if len(args) > 2 && args[2] == "true" { // benchmarks: no shared counters
		shmring.SetStatsMirror(false)
	}
	rings, err := psRecvRings(2)
	if err != nil {
		return err
	}
	c, err := rings[0].Consumer(psOptions(args[0])...)
	if err != nil {
		return err
	}
	p, err := rings[1].Producer(psOptions(args[1])...)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), psGuard)
	defer cancel()
	for {
		f, err := c.AcquireContext(ctx)
		if err == io.EOF {
			return p.Close()
		}
		if err != nil {
			return err
		}
		if err := p.Send(ctx, f.Type, f.Payload); err != nil {
			return err
		}
		c.Commit()
	}
}

// psTachyonProducerPeer plays a Tachyon producer that called
// set_polling_mode(1): it writes 2 into the consumer's sleeping word, then
// sends args[0] frames, each only once the consumer has gone to sleep.
func psTachyonProducerPeer(args []string) error {
	rings, err := psRecvRings(1)
	if err != nil {
		return err
	}
	r := rings[0]
	var n int
	fmt.Sscan(args[0], &n)
	raw, err := sys.MapShared(r.Fd(), shmring.SegmentSize(r.Capacity()))
	if err != nil {
		return err
	}
	defer sys.Unmap(raw)
	word := (*atomic.Uint32)(unsafe.Pointer(&raw[offConsumerSleeping]))
	word.Store(uint32(shmring.WordPureSpin))

	p, err := r.Producer()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), psGuard)
	defer cancel()
	for i := range n {
		// Wait until the consumer sleeps for frame i: it counts a park
		// per wait that sleeps.
		if err := psUntil(ctx, func() bool {
			in, err := r.Info()
			return err == nil && in.Consumer.Parks > uint64(i)
		}); err != nil {
			return fmt.Errorf("frame %d: consumer never slept: %w", i, err)
		}
		var b [8]byte
		binary.NativeEndian.PutUint64(b[:], uint64(i))
		if err := p.Send(ctx, 1, b[:]); err != nil {
			return err
		}
	}
	return p.Close()
}

// psUntil polls cond until it holds or ctx ends: it yields at first, then
// backs off to short sleeps so a slow peer gets the CPU it needs. The
// sleeps only pace the polling; cond decides.
func psUntil(ctx context.Context, cond func() bool) error {
	for i := 0; !cond(); i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if i < 100 {
			runtime.Gosched()
		} else {
			time.Sleep(20 * time.Microsecond)
		}
	}
	return nil
}

// psStart creates n rings, starts role with args and hands it the rings.
func psStart(t testing.TB, role string, n int, args ...string) (*peerproc.Peer, []*shmring.Ring) {
	t.Helper()
	rings := make([]*shmring.Ring, n)
	for i := range rings {
		r, err := shmring.Create(fmt.Sprintf("tachyon-go-purespin-%d", i), psCapacity)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		rings[i] = r
	}
	peer, uc, err := peerproc.Start(role, args, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(peer.Kill)
	defer uc.Close()
	if err := psSendRings(uc, rings...); err != nil {
		t.Fatal(err)
	}
	return peer, rings
}

func psInfo(t *testing.T, r *shmring.Ring) shmring.Info {
	t.Helper()
	in, err := r.Info()
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// psPingPong sends n numbered frames on p and expects each echoed on c.
func psPingPong(t *testing.T, ctx context.Context, p *shmring.Producer, c *shmring.Consumer, n int,
	before func(i int)) {
	t.Helper()
	for i := range n {
		if before != nil {
			before(i)
		}
		var b [8]byte
		binary.NativeEndian.PutUint64(b[:], uint64(i))
		if err := p.Send(ctx, 1, b[:]); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		f, err := c.AcquireContext(ctx)
		if err != nil {
			t.Fatalf("echo %d: %v", i, err)
		}
		if len(f.Payload) != 8 || binary.NativeEndian.Uint64(f.Payload) != uint64(i) {
			t.Fatalf("echo %d: got %x", i, f.Payload)
		}
		c.Commit()
	}
}

// psFinish closes p, expects EOF on c and a clean exit of the peer.
func psFinish(t *testing.T, ctx context.Context, peer *peerproc.Peer, p *shmring.Producer, c *shmring.Consumer) {
	t.Helper()
	p.Close()
	if _, err := c.AcquireContext(ctx); err != io.EOF {
		t.Fatalf("after close: got %v, want io.EOF", err)
	}
	if err := peer.Wait(psGuard); err != nil {
		t.Fatalf("peer: %v", err)
	}
}

func psRounds(long, short int) int {
	if testing.Short() {
		return short
	}
	return long
}

// Both processes in pure-spin mode on both rings: frames cross in both
// directions and not one wake system call is made, nor a single park.
func TestPureSpinRoundTrip(t *testing.T) {
	peer, rings := psStart(t, "shmring-purespin-echo", 2, "pure", "pure")
	ping, pong := rings[0], rings[1]
	p, err := ping.Producer(shmring.WithPureSpin(shmring.NeverNap))
	if err != nil {
		t.Fatal(err)
	}
	c, err := pong.Consumer(shmring.WithPureSpin(shmring.NeverNap))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), psGuard)
	defer cancel()
	n := psRounds(20000, 2000)
	psPingPong(t, ctx, p, c, n, nil)
	psFinish(t, ctx, peer, p, c)

	for name, r := range map[string]*shmring.Ring{"ping": ping, "pong": pong} {
		in := psInfo(t, r)
		if in.ConsumerWord != shmring.WordPureSpin || in.ProducerWord != shmring.WordPureSpin {
			t.Errorf("%s: words consumer=%v producer=%v, want pure-spin", name, in.ConsumerWord, in.ProducerWord)
		}
		for side, st := range map[string]shmring.Stats{"producer": in.Producer, "consumer": in.Consumer} {
			if st.Wakes != 0 || st.Parks != 0 {
				t.Errorf("%s %s: %d wakes, %d parks; pure spin makes none", name, side, st.Wakes, st.Parks)
			}
			if st.Frames != uint64(n) {
				t.Errorf("%s %s: %d frames, want %d", name, side, st.Frames, n)
			}
		}
	}
}

// A pure-spin side that sleeps anyway (it naps at once here) is still woken,
// by its own bounded naps: its hybrid peer sees the word 2 and never sends a
// wake.
func TestPureSpinSleeperWokenWithoutWakes(t *testing.T) {
	peer, rings := psStart(t, "shmring-purespin-echo", 2, "pure-nap", "hybrid")
	ping, pong := rings[0], rings[1]
	p, _ := ping.Producer()
	c, _ := pong.Consumer()
	ctx, cancel := context.WithTimeout(context.Background(), psGuard)
	defer cancel()
	n := psRounds(200, 30)
	psPingPong(t, ctx, p, c, n, func(i int) {
		// Send frame i only once the peer's consumer sleeps for it.
		if err := psUntil(ctx, func() bool { return psInfo(t, ping).Consumer.Parks > uint64(i) }); err != nil {
			t.Fatalf("frame %d: peer never slept: %v", i, err)
		}
	})
	psFinish(t, ctx, peer, p, c)

	in := psInfo(t, ping)
	if in.ConsumerWord != shmring.WordPureSpin {
		t.Errorf("sleeping pure-spin side left the mode: word %v", in.ConsumerWord)
	}
	if in.Producer.Wakes != 0 {
		t.Errorf("producer sent %d wakes to a pure-spin consumer", in.Producer.Wakes)
	}
	if in.Consumer.Parks < uint64(n) || in.Consumer.Frames != uint64(n) {
		t.Errorf("consumer: %d parks, %d frames; want ≥ %d and %d", in.Consumer.Parks, in.Consumer.Frames, n, n)
	}
}

// A Tachyon producer put our hybrid consumer's word to 2 (set_polling_mode)
// and never wakes it. Our consumer must not flip the word back when it
// blocks, and must still get every frame.
func TestHybridSideKeepsPeerPureSpin(t *testing.T) {
	for _, opt := range []string{"hybrid", "hybrid-nospin"} {
		t.Run(opt, func(t *testing.T) {
			n := psRounds(100, 20)
			peer, rings := psStart(t, "shmring-purespin-tachyon-producer", 1, fmt.Sprint(n))
			c, err := rings[0].Consumer(psOptions(opt)...)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), psGuard)
			defer cancel()
			for i := 0; ; i++ {
				f, err := c.AcquireContext(ctx)
				if err == io.EOF && i == n {
					break
				}
				if err != nil {
					t.Fatalf("frame %d: %v", i, err)
				}
				if binary.NativeEndian.Uint64(f.Payload) != uint64(i) {
					t.Fatalf("frame %d: got %x", i, f.Payload)
				}
				c.Commit()
			}
			if err := peer.Wait(psGuard); err != nil {
				t.Fatalf("peer: %v", err)
			}
			in := psInfo(t, rings[0])
			if in.ConsumerWord != shmring.WordPureSpin {
				t.Errorf("consumer flipped the peer's pure-spin word to %v", in.ConsumerWord)
			}
			if in.Producer.Wakes != 0 || in.Consumer.Parks < uint64(n) {
				t.Errorf("producer wakes %d (want 0), consumer parks %d (want ≥ %d)",
					in.Producer.Wakes, in.Consumer.Parks, n)
			}
		})
	}
}

// A pure-spin wait, spinning or napping, still honours deadlines and
// Interrupt, in futex and doorbell mode.
func TestPureSpinDeadlineAndInterrupt(t *testing.T) {
	for _, mode := range []string{"spin", "nap", "nap-doorbell"} {
		t.Run(mode, func(t *testing.T) {
			r, err := shmring.Create("tachyon-go-purespin-deadline", psCapacity)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			opts := []shmring.Option{shmring.WithPureSpin(0)}
			if mode == "spin" {
				opts = []shmring.Option{shmring.WithPureSpin(shmring.NeverNap)}
			}
			if mode == "nap-doorbell" {
				a, ar, err := shmring.NewDoorbellPair()
				if err != nil {
					t.Fatal(err)
				}
				defer a.Close()
				defer ar.Close()
				opts = append(opts, shmring.WithDoorbells(a, ar))
			}
			c, err := r.Consumer(opts...)
			if err != nil {
				t.Fatal(err)
			}
			if w := psInfo(t, r).ConsumerWord; w != shmring.WordPureSpin {
				t.Fatalf("word after open: %v, want pure-spin", w)
			}

			// A nil return from Wait means "check again"; Interrupt and
			// SetDeadline in futex mode cause such spurious returns.
			waitErr := func() error {
				for {
					if err := c.Wait(); err != nil {
						return err
					}
				}
			}
			c.SetDeadline(time.Now().Add(time.Millisecond))
			if err := waitErr(); !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("Wait with a deadline: %v", err)
			}
			c.SetDeadline(time.Time{})

			// Interrupt, and a deadline moved into the past, each end a wait
			// in progress.
			for _, stop := range []func(){c.Interrupt, func() { c.SetDeadline(time.Unix(1, 0)) }} {
				before := c.Stats().Waits
				var stopped atomic.Bool
				done := make(chan error, 1)
				go func() {
					for {
						if err := c.Wait(); err != nil || stopped.Load() {
							done <- err
							return
						}
					}
				}()
				ctx, cancel := context.WithTimeout(context.Background(), psGuard)
				psUntil(ctx, func() bool { return c.Stats().Waits > before })
				cancel()
				stopped.Store(true)
				stop()
				select {
				case <-done:
				case <-time.After(psGuard):
					t.Fatal("wait not ended")
				}
			}
			if err := waitErr(); !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("Wait after the deadline passed: %v", err)
			}
		})
	}
}

func TestPureSpinOption(t *testing.T) {
	r, err := shmring.Create("tachyon-go-purespin-option", psCapacity)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Producer(shmring.WithPureSpin(-1)); err == nil {
		t.Fatal("negative idle accepted")
	}
	if in := psInfo(t, r); in.ProducerWord != shmring.WordAwake || in.ConsumerWord != shmring.WordAwake {
		t.Fatalf("words %v/%v before any pure-spin side", in.ProducerWord, in.ConsumerWord)
	}
	if _, err := r.Producer(shmring.WithPureSpin(time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if in := psInfo(t, r); in.ProducerWord != shmring.WordPureSpin || in.ConsumerWord != shmring.WordAwake {
		t.Fatalf("words %v/%v after a pure-spin producer opened", in.ProducerWord, in.ConsumerWord)
	}
}
