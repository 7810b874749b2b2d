//go:build linux

package conn_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/internal/peerproc"
	"github.com/tachyon-ipc/tachyon-go/listener"
	"github.com/tachyon-ipc/tachyon-go/shmring"
)

// Frame mode between two processes: the test binary re-executes itself as
// the peer (role "frames"), which listens or dials and runs one of the
// modes below on its end.

func init() {
	peerproc.Register("frames", framesRole)
}

// Modes of the "frames" role.
const (
	modeStream    = "stream"    // random frames both ways, checked, then CloseWrite; io.EOF expected
	modeSendClose = "sendclose" // random frames one way (batched), then Close at once
	modeTyped     = "typed"     // answers each []float64 frame with its sum, as a one-element view
)

// framesArgs are the role's arguments.
type framesArgs struct {
	dial    bool   // the role dials path; otherwise it listens there
	path    string // socket path
	ring    int    // ring size of the listening side
	mode    string
	count   int    // frames the role sends or expects
	seed    uint64 // the role expects frames of seed and sends frames of seed+1
	maxSize int    // largest frame; 0 for min(MaxPayload, 64 KiB)
}

func (a framesArgs) strings() []string {
	side := "listen"
	if a.dial {
		side = "dial"
	}
	return []string{side, a.path, strconv.Itoa(a.ring), a.mode, strconv.Itoa(a.count),
		strconv.FormatUint(a.seed, 10), strconv.Itoa(a.maxSize)}
}

func parseFramesArgs(s []string) (a framesArgs, err error) {
	if len(s) != 7 {
		return a, fmt.Errorf("frames role: %d arguments", len(s))
	}
	a.dial, a.path, a.mode = s[0] == "dial", s[1], s[3]
	a.ring, err = strconv.Atoi(s[2])
	if err == nil {
		a.count, err = strconv.Atoi(s[4])
	}
	if err == nil {
		a.seed, err = strconv.ParseUint(s[5], 10, 64)
	}
	if err == nil {
		a.maxSize, err = strconv.Atoi(s[6])
	}
	return a, err
}

func framesRole(s []string) error {
	a, err := parseFramesArgs(s)
	if err != nil {
		return err
	}
	var c *conn.Conn
	var ctl *net.UnixConn
	if a.dial {
		if c, err = dialFrom(a.path); err != nil {
			return err
		}
		if ctl, err = peerproc.Announce(); err != nil {
			return err
		}
	} else {
		var l *listener.Listener
		if l, ctl, err = peerListen([]string{a.path, strconv.Itoa(a.ring), "20us"}); err != nil {
			return err
		}
		defer l.Close()
		if c, err = l.AcceptConn(); err != nil {
			return err
		}
	}
	defer ctl.Close()
	defer c.Close()
	var opts []conn.FramesOption
	if a.mode == modeSendClose {
		// Only Close publishes the last frames.
		opts = append(opts, conn.WithPublishEvery(32), conn.WithFlushDelay(time.Hour))
	}
	f, err := c.Frames(opts...)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	switch a.mode {
	case modeStream:
		return exchangeStreams(ctx, f, a.count, a.seed+1, a.seed, a.maxSize)
	case modeSendClose:
		err := sendStream(ctx, f, a.count, a.seed+1, a.maxSize)
		c.Close()
		return err
	case modeTyped:
		return sumServer(ctx, f)
	}
	return fmt.Errorf("frames role: unknown mode %q", a.mode)
}

// frameGen draws the frames of one direction of a stream: sizes (an
// eighth of them empty, most small, some up to the largest), type ids and
// payload bytes, all from one seeded generator, so that both ends derive
// the same sequence.
type frameGen struct {
	rng     *rand.Rand
	maxSize int
}

func newFrameGen(seed uint64, f *conn.Frames, maxSize int) *frameGen {
	if maxSize == 0 {
		maxSize = min(f.MaxPayload(), 64<<10)
	}
	return &frameGen{rng: rand.New(rand.NewPCG(seed, 0x7461636879)), maxSize: maxSize}
}

// header draws the next frame's size and type id.
func (g *frameGen) header() (int, shmring.TypeID) {
	var n int
	switch r := g.rng.IntN(16); {
	case r < 2:
	case r == 2:
		n = g.rng.IntN(g.maxSize + 1)
	default:
		n = g.rng.IntN(min(g.maxSize, 256) + 1)
	}
	return n, shmring.TypeID(g.rng.Uint32())
}

// fill draws the payload of the frame header just drew.
func (g *frameGen) fill(b []byte) {
	for ; len(b) >= 8; b = b[8:] {
		binary.LittleEndian.PutUint64(b, g.rng.Uint64())
	}
	if len(b) > 0 {
		var w [8]byte
		binary.LittleEndian.PutUint64(w[:], g.rng.Uint64())
		copy(b, w[:])
	}
}

// sendStream commits count frames of seed's sequence, filled in place.
func sendStream(ctx context.Context, f *conn.Frames, count int, seed uint64, maxSize int) error {
	g := newFrameGen(seed, f, maxSize)
	for i := range count {
		n, typ := g.header()
		b, err := f.Acquire(ctx, n)
		if err != nil {
			return fmt.Errorf("sending frame %d (%d bytes): %w", i, n, err)
		}
		g.fill(b)
		if err := f.Commit(n, typ); err != nil {
			return fmt.Errorf("committing frame %d: %w", i, err)
		}
	}
	return nil
}

// recvStream checks that the peer sends exactly count frames of seed's
// sequence, then io.EOF. It drains them in batches of varying size and
// returns the largest batch.
func recvStream(ctx context.Context, f *conn.Frames, count int, seed uint64, maxSize int) (int, error) {
	g := newFrameGen(seed, f, maxSize)
	want := make([]byte, g.maxSize)
	batch := make([]shmring.Frame, 16)
	largest := 0
	for i := 0; i < count; {
		n, err := f.Drain(ctx, batch[:1+i%len(batch)])
		if err != nil {
			return largest, fmt.Errorf("after %d of %d frames: %w", i, count, err)
		}
		largest = max(largest, n)
		for _, fr := range batch[:n] {
			size, typ := g.header()
			g.fill(want[:size])
			if fr.Type != typ || !bytes.Equal(fr.Payload, want[:size]) {
				return largest, fmt.Errorf("frame %d: %d bytes of type %#x, want %d bytes of type %#x (or other bytes)",
					i, len(fr.Payload), fr.Type, size, typ)
			}
			i++
		}
		if err := f.Release(); err != nil {
			return largest, err
		}
	}
	for range 2 {
		if _, err := f.Next(ctx); err != io.EOF {
			return largest, fmt.Errorf("after the last of %d frames: %v, want bare io.EOF", count, err)
		}
	}
	return largest, nil
}

// exchangeStreams sends count frames of sendSeed's sequence and then
// half-closes, while it checks count frames of recvSeed's and the EOF after
// them.
func exchangeStreams(ctx context.Context, f *conn.Frames, count int, sendSeed, recvSeed uint64, maxSize int) error {
	sent := make(chan error, 1)
	go func() {
		err := sendStream(ctx, f, count, sendSeed, maxSize)
		if err == nil {
			err = f.Conn().CloseWrite()
		}
		sent <- err
	}()
	_, err := recvStream(ctx, f, count, recvSeed, maxSize)
	if err != nil {
		f.Conn().Close() // wakes the sender
	}
	return errors.Join(err, <-sent)
}

// sumServer answers each frame, viewed as []float64, with a one-element
// view holding its sum, of the same type, until io.EOF.
func sumServer(ctx context.Context, f *conn.Frames) error {
	for {
		fr, err := f.Next(ctx)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		v, err := shmring.View[float64](fr)
		if err != nil {
			return err
		}
		var sum float64
		for _, x := range v {
			sum += x
		}
		typ := fr.Type
		if err := f.Release(); err != nil {
			return err
		}
		out, err := conn.AcquireView[float64](ctx, f, 1)
		if err != nil {
			return err
		}
		out[0] = sum
		if err := conn.CommitView(f, out, typ); err != nil {
			return err
		}
	}
}

// framesPeer starts the role with a (listening unless a.dial) and returns
// our end of the connection in frame mode.
func framesPeer(t *testing.T, a framesArgs) (*conn.Frames, *peerproc.Peer) {
	t.Helper()
	a.path = sockPath(t)
	var c *conn.Conn
	var p *peerproc.Peer
	if a.dial {
		l := listen(t, a.path, conn.WithRingSize(a.ring))
		p, _ = startRole(t, "frames", a.strings(), nil)
		c = accept(t, l)
	} else {
		p, _ = startRole(t, "frames", a.strings(), nil)
		c = dial(t, a.path)
	}
	t.Cleanup(func() { c.Close() })
	return mustFrames(t, c), p
}

// waitPeer checks that the peer process ends, bounded, without error.
func waitPeer(t *testing.T, p *peerproc.Peer) {
	t.Helper()
	if err := p.Wait(time.Minute); err != nil {
		t.Fatalf("peer: %v", err)
	}
}

// streamCount is how many frames each direction carries: 100 k, or 20 k
// in -short mode unless full.
func streamCount(full bool) int {
	if testing.Short() && !full {
		return 20_000
	}
	return 100_000
}

// TestFramesCrossProcess sends random frames (sizes, empty ones, type ids,
// payloads) both ways at once between two processes and checks every one
// and their order, then the EOF each half-close produces. The 4 KiB ring
// is smaller than the data and than the largest frames: it wraps all the
// time and both sides block on it.
func TestFramesCrossProcess(t *testing.T) {
	for _, c := range []struct {
		name string
		ring int
		dial bool // the peer dials; we accept
		full bool // 100 k frames also in -short mode
	}{
		{"4KiB/dialer", 4 << 10, false, true},
		{"4KiB/acceptor", 4 << 10, true, false},
		{"1MiB/dialer", 1 << 20, false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := framesArgs{dial: c.dial, ring: c.ring, mode: modeStream, count: streamCount(c.full), seed: 12}
			f, p := framesPeer(t, a)
			start := time.Now()
			if err := exchangeStreams(testCtx(t), f, a.count, a.seed, a.seed+1, 0); err != nil {
				t.Fatal(err)
			}
			waitPeer(t, p)
			tx, rx := f.Conn().Stats()
			t.Logf("%d frames each way in %v; we parked %d times sending, %d receiving",
				a.count, time.Since(start).Round(time.Millisecond), tx.Parks, rx.Parks)
		})
	}
}

// TestFramesGracefulClose: every frame committed before the peer's Close
// is delivered, then a bare io.EOF — also when the peer process has exited
// before we read anything, and when its frames are published only by its
// Close (it batches).
func TestFramesGracefulClose(t *testing.T) {
	t.Run("peer gone before we read", func(t *testing.T) {
		a := framesArgs{ring: 1 << 20, mode: modeSendClose, count: 1000, seed: 30, maxSize: 512}
		f, p := framesPeer(t, a)
		waitPeer(t, p)
		if _, err := recvStream(testCtx(t), f, a.count, a.seed+1, a.maxSize); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("small ring", func(t *testing.T) {
		a := framesArgs{ring: 4 << 10, mode: modeSendClose, count: 5000, seed: 40}
		f, p := framesPeer(t, a)
		largest, err := recvStream(testCtx(t), f, a.count, a.seed+1, a.maxSize)
		if err != nil {
			t.Fatal(err)
		}
		waitPeer(t, p)
		t.Logf("largest batch drained: %d frames", largest)
	})
}

func TestFramesTypedCrossProcess(t *testing.T) {
	f, p := framesPeer(t, framesArgs{ring: 64 << 10, mode: modeTyped})
	ctx := testCtx(t)
	for k := range 50 {
		n := 10 * k
		v, err := conn.AcquireView[float64](ctx, f, n)
		if err != nil {
			t.Fatal(err)
		}
		for i := range v {
			v[i] = float64(i)
		}
		if err := conn.CommitView(f, v, shmring.TypeID(k)); err != nil {
			t.Fatal(err)
		}
		fr, err := f.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		sum, err := shmring.View[float64](fr)
		if err != nil || len(sum) != 1 || sum[0] != float64(n*(n-1)/2) || fr.Type != shmring.TypeID(k) {
			t.Fatalf("sum of 0..%d: %v, %v (type %d)", n-1, sum, err, fr.Type)
		}
		f.Release()
	}
	f.Conn().Close()
	waitPeer(t, p)
}

// TestFramesPeerKilled: a peer killed while we are blocked in Next or in
// Acquire wakes the call within a second, with ECONNRESET or EPIPE.
func TestFramesPeerKilled(t *testing.T) {
	for _, dialer := range []bool{true, false} {
		for _, write := range []bool{false, true} {
			name := "acceptor/" + side(write)
			if dialer {
				name = "dialer/" + side(write)
			}
			t.Run(name, func(t *testing.T) {
				c, p := connToHeldPeer(t, dialer)
				defer c.Close()
				f := mustFrames(t, c)
				if write {
					fillRing(t, f) // the peer never reads
				}
				done := blockFrames(t, f, write, call(f, write, context.Background()))
				killed := time.Now()
				if err := p.Signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				err := within(t, done, time.Second, side(write)+" blocked on a killed peer")
				var ne net.Error
				if !errors.Is(err, deathErr(write)) || !errors.As(err, &ne) || ne.Timeout() {
					t.Fatalf("%s blocked on a killed peer: %v, want a non-timeout net.Error wrapping %v", side(write), err, deathErr(write))
				}
				t.Logf("%s woke %v after SIGKILL: %v", side(write), time.Since(killed), err)
				if err := call(f, write, context.Background())(); !errors.Is(err, deathErr(write)) {
					t.Errorf("%s after the death: %v, want %v", side(write), err, deathErr(write))
				}
			})
		}
	}
}
