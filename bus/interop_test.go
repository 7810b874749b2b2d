package bus_test

// Interop tests: this package against "the Tachyon side", played by package
// tachyontest (an independent implementation of the wire rules with
// Tachyon's C++ habits) in a separate process. Run them alone with
//
//	go test -run 'Golden|Interop' ./...

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/bus"
	"github.com/tachyon-ipc/tachyon-go/bus/tachyontest"
	"github.com/tachyon-ipc/tachyon-go/internal/peerproc"
	"github.com/tachyon-ipc/tachyon-go/shmring"
)

const (
	interopCapacity = 1 << 14              // small: the streams wrap thousands of times
	tachyonMaxFrame = interopCapacity / 16 // Tachyon producers are not limited as ours are
	checkpointEvery = 25000                // frames between forced futex sleeps
	spins           = 2000                 // Tachyon-side spins before sleeping
	peerTimeout     = 3 * time.Minute
)

func init() {
	peerproc.Register("tachyon-producer", tachyonProducer)
	peerproc.Register("tachyon-consumer", tachyonConsumer)
	peerproc.Register("tachyon-callee", tachyonCallee)
	peerproc.Register("tachyon-caller", tachyonCaller)
}

func peerDeadline() time.Time { return time.Now().Add(peerTimeout) }

// interopFrames is the stream length per test: the four plain and four RPC
// cases together move over a million frames in -short mode.
func interopFrames(short, long int) int {
	if testing.Short() {
		return short
	}
	return long
}

// startPeer runs role in a peer process and returns its control socket
// (test plumbing, never the bus socket). The peer is waited for, or killed,
// at cleanup.
func startPeer(t *testing.T, cancel context.CancelFunc, role string, args ...string) (*peerproc.Peer, *net.UnixConn) {
	t.Helper()
	p, ctl, err := peerproc.Start(role, args, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A peer that fails never unblocks us through the bus (Tachyon has no
	// close signal): stop our side's waits when it exits.
	go func() { <-p.Done(); cancel() }()
	t.Cleanup(func() {
		ctl.Close()
		select {
		case <-p.Done():
		default:
			p.Kill()
		}
	})
	return p, ctl
}

func waitPeer(t *testing.T, p *peerproc.Peer) {
	t.Helper()
	if err := p.Wait(peerTimeout); err != nil {
		t.Fatalf("Tachyon-side peer failed: %v", err)
	}
}

// otherMode is the peer's socket role when we play mode.
func otherMode(mode string) string {
	if mode == "listen" {
		return "connect"
	}
	return "listen"
}

func goBus(t *testing.T, ctx context.Context, mode, path string) *bus.Bus {
	t.Helper()
	var b *bus.Bus
	var err error
	if mode == "listen" {
		b, err = bus.ListenContext(ctx, path, interopCapacity)
	} else {
		b, err = bus.Dial(ctx, path)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func TestInteropPlain(t *testing.T) {
	n := interopFrames(200_000, 1_000_000)
	for _, tc := range []struct{ name, role, mode string }{
		{"GoListenConsume", "consume", "listen"}, // Tachyon's Python quickstart: the listener consumes
		{"GoDialProduce", "produce", "dial"},     // ... and we are its producer
		{"GoListenProduce", "produce", "listen"}, // Tachyon's benchmarks: each side listens on the bus it writes
		{"GoDialConsume", "consume", "dial"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), peerTimeout)
			defer cancel()
			path := sockPath(t)
			start := time.Now()
			if tc.role == "consume" {
				p, _ := startPeer(t, cancel, "tachyon-producer", path, otherMode(tc.mode), fmt.Sprint(interopCapacity),
					fmt.Sprint(n), fmt.Sprint(tachyonMaxFrame))
				goConsume(t, ctx, goBus(t, ctx, tc.mode, path), n)
				waitPeer(t, p)
			} else {
				p, ctl := startPeer(t, cancel, "tachyon-consumer", path, otherMode(tc.mode), fmt.Sprint(interopCapacity),
					fmt.Sprint(n), fmt.Sprint(bus.TachyonMaxPayload(interopCapacity)))
				goProduce(t, ctx, goBus(t, ctx, tc.mode, path), ctl, n)
				waitPeer(t, p)
			}
			t.Logf("%d frames in %v (%.0f frames/s), about %d wraps", n, time.Since(start).Round(time.Millisecond),
				float64(n)/time.Since(start).Seconds(), wraps(n, maxFor(tc.role)))
		})
	}
}

func maxFor(goRole string) int {
	if goRole == "consume" {
		return tachyonMaxFrame
	}
	return bus.TachyonMaxPayload(interopCapacity)
}

// wraps estimates how often a stream of n test frames wraps the ring.
func wraps(n, max int) int {
	total := 0
	for i := range n {
		total += (64 + sizeOf(i, max) + 63) &^ 63
	}
	return total / interopCapacity
}

// goConsume reads n frames from a Tachyon producer and checks each; header
// bytes 12–63 were scribbled by the producer and must not leak through.
func goConsume(t *testing.T, ctx context.Context, b *bus.Bus, n int) {
	c, err := b.Consumer()
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		f, err := c.AcquireContext(ctx)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if err := checkPayload("frame", i, f.Payload, sizeOf(i, tachyonMaxFrame)); err != nil {
			t.Fatal(err)
		}
		if uint32(f.Type) != typeOf(i) || f.CorrelationID != 0 {
			t.Fatalf("frame %d: type %#x correlation %#x", i, f.Type, f.CorrelationID)
		}
		c.Commit()
	}
	st := c.Stats()
	t.Logf("Go consumer: %+v", st)
	if st.Parks == 0 {
		t.Error("the Go consumer never parked on the futex although the producer waited for it to")
	}
}

// goProduce writes n frames for a Tachyon consumer. At each checkpoint it
// waits until the consumer says it is going to sleep on the futex, so that
// the next frame must wake it.
func goProduce(t *testing.T, ctx context.Context, b *bus.Bus, ctl *net.UnixConn, n int) {
	p, err := b.Producer()
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, p.MaxPayload())
	for i := range n {
		if i > 0 && i%checkpointEvery == 0 {
			ctl.SetReadDeadline(time.Now().Add(peerTimeout))
			if _, err := io.ReadFull(ctl, make([]byte, 1)); err != nil {
				t.Fatalf("checkpoint %d: %v", i, err)
			}
		}
		m := buf[:sizeOf(i, p.MaxPayload())]
		fill(m, i)
		if err := p.Send(ctx, shmring.TypeID(typeOf(i)), m); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
	}
	st := p.Stats()
	t.Logf("Go producer: %+v", st)
	if st.Wakes == 0 {
		t.Error("the Go producer never woke the sleeping Tachyon consumer")
	}
}

// tachyonProducer plays a Tachyon producer on a plain bus: C++ batching
// (head every 32 commits) for half the stream, a binding's flush-per-send
// for the other half, junk in header bytes 12–63, frames up to cap/4.
func tachyonProducer(args []string) error {
	path, mode, capacity, n, max := args[0], args[1], atoi(args[2]), atoi(args[3]), atoi(args[4])
	dl := peerDeadline()
	r, err := plainRing(mode, path, capacity, dl)
	if err != nil {
		return err
	}
	defer r.Close()
	p := tachyontest.NewProducer(r)
	p.ScribbleHeader = true
	buf := make([]byte, max)
	for i := range n {
		if i > 0 && i%checkpointEvery == 0 {
			// Let the Go consumer drain and park on the futex: the
			// next publication must wake it.
			p.Flush()
			for r.ConsumerSleeping() != 1 {
				if time.Now().After(dl) {
					return errors.New("the Go consumer never went to sleep")
				}
				runtime.Gosched()
			}
		}
		b := buf[:sizeOf(i, max)]
		fill(b, i)
		if err := p.Send(b, typeOf(i), i%1000 < 500, dl); err != nil {
			return fmt.Errorf("frame %d: %w", i, err)
		}
	}
	p.Flush()
	if s := r.State(); s != tachyontest.StateReady {
		return fmt.Errorf("ring state %d at the end", s)
	}
	return nil
}

// tachyonConsumer plays a Tachyon consumer on a plain bus: tail every 32
// commits, futex sleep after spinning; it checks every frame, and that
// header bytes 12–63 are zero.
func tachyonConsumer(args []string) error {
	path, mode, capacity, n, max := args[0], args[1], atoi(args[2]), atoi(args[3]), atoi(args[4])
	dl := peerDeadline()
	ctl, err := peerproc.Socket()
	if err != nil {
		return err
	}
	r, err := plainRing(mode, path, capacity, dl)
	if err != nil {
		return err
	}
	defer r.Close()
	c := tachyontest.NewConsumer(r)
	armed := false
	c.OnSleep = func() {
		if armed {
			armed = false
			ctl.Write([]byte{'S'})
		}
	}
	for i := range n {
		armed = i > 0 && i%checkpointEvery == 0
		f, err := c.AcquireBlocking(false, spins, dl)
		if err != nil {
			return fmt.Errorf("frame %d: %w", i, err)
		}
		if err := checkPayload("frame", i, f.Payload, sizeOf(i, max)); err != nil {
			return err
		}
		if f.TypeID != typeOf(i) || !zero(f.Header[12:]) {
			return fmt.Errorf("frame %d: type %#x, header % x", i, f.TypeID, f.Header)
		}
		c.Commit()
	}
	return nil
}

func TestInteropRPC(t *testing.T) {
	n := interopFrames(30_000, 300_000)
	const depth = 8 // calls in flight
	for _, tc := range []struct{ name, role, mode string }{
		{"GoListenCallee", "callee", "listen"}, // Tachyon's examples: the callee listens
		{"GoDialCaller", "caller", "dial"},
		{"GoListenCaller", "caller", "listen"},
		{"GoDialCallee", "callee", "dial"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), peerTimeout)
			defer cancel()
			path := sockPath(t)
			start := time.Now()
			maxGo := bus.TachyonMaxPayload(interopCapacity)
			peerRole := map[string]string{"callee": "tachyon-caller", "caller": "tachyon-callee"}[tc.role]
			// Requests and replies: Go frames stay within the Tachyon
			// limit, Tachyon frames go up to cap/4.
			maxReq, maxRep := maxGo, tachyonMaxFrame
			if tc.role == "callee" {
				maxReq, maxRep = tachyonMaxFrame, maxGo
			}
			p, _ := startPeer(t, cancel, peerRole, path, otherMode(tc.mode), fmt.Sprint(interopCapacity),
				fmt.Sprint(n), fmt.Sprint(maxReq), fmt.Sprint(maxRep), fmt.Sprint(depth))
			var b *bus.RPCBus
			var err error
			if tc.mode == "listen" {
				b, err = bus.ListenRPCContext(ctx, path, interopCapacity, interopCapacity)
			} else {
				b, err = bus.DialRPC(ctx, path)
			}
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			if tc.role == "callee" {
				goCallee(t, ctx, b, n, maxReq, maxRep)
			} else {
				goCaller(t, ctx, b, n, maxReq, maxRep, depth)
			}
			waitPeer(t, p)
			t.Logf("%d calls (%d frames) in %v (%.0f calls/s)", n, 2*n, time.Since(start).Round(time.Millisecond),
				float64(n)/time.Since(start).Seconds())
		})
	}
}

func goCallee(t *testing.T, ctx context.Context, b *bus.RPCBus, n, maxReq, maxRep int) {
	c, err := b.Callee()
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, maxRep)
	for i := range n {
		req, err := c.Serve(ctx)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if req.ID != uint64(i+1) || req.MsgType != uint16(i) {
			t.Fatalf("request %d: id %d type %d", i, req.ID, req.MsgType)
		}
		if err := checkPayload("request", i, req.Payload, sizeOf(i, maxReq)); err != nil {
			t.Fatal(err)
		}
		reply := buf[:sizeOf(i+7, maxRep)]
		fill(reply, ^i)
		if err := c.Reply(ctx, req.ID, uint16(i+1), reply); err != nil {
			t.Fatalf("reply %d: %v", i, err)
		}
	}
}

func goCaller(t *testing.T, ctx context.Context, b *bus.RPCBus, n, maxReq, maxRep, depth int) {
	c, err := b.Caller()
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, maxReq)
	sent := 0
	for got := 0; got < n; got++ {
		for ; sent < n && sent-got < depth; sent++ {
			req := buf[:sizeOf(sent, maxReq)]
			fill(req, sent)
			id, err := c.Call(ctx, uint16(sent), req)
			if err != nil || id != uint64(sent+1) {
				t.Fatalf("call %d: id %d, %v", sent, id, err)
			}
		}
		r, err := c.Wait(ctx, uint64(got+1))
		if err != nil {
			t.Fatalf("reply %d: %v", got, err)
		}
		if r.MsgType != uint16(got+1) {
			t.Fatalf("reply %d: type %d", got, r.MsgType)
		}
		if err := checkPayload("reply", ^got, r.Payload, sizeOf(got+7, maxRep)); err != nil {
			t.Fatal(err)
		}
	}
	c.Release()
}

// plainRing and rpcBus open the Tachyon side's end of a bus.
func plainRing(mode, path string, capacity int, dl time.Time) (*tachyontest.Ring, error) {
	if mode == "listen" {
		return tachyontest.ListenBus(path, capacity, dl)
	}
	return tachyontest.ConnectBus(path, dl)
}

func rpcBus(mode, path string, capacity int, dl time.Time) (*tachyontest.RPC, error) {
	if mode == "listen" {
		return tachyontest.ListenRPC(path, capacity, capacity, dl)
	}
	return tachyontest.ConnectRPC(path, dl)
}

// checkRPCHeader checks what a Go producer writes on an RPC ring: zero
// padding at 12–15 and 24–63 around the correlation id.
func checkRPCHeader(what string, i int, f tachyontest.Frame) error {
	if !zero(f.Header[12:16]) || !zero(f.Header[24:]) {
		return fmt.Errorf("%s %d: header % x", what, i, f.Header)
	}
	return nil
}

// tachyonCallee plays a Tachyon callee: serve, commit, reply, in order.
func tachyonCallee(args []string) error {
	path, mode, capacity, n, maxReq, maxRep := args[0], args[1], atoi(args[2]), atoi(args[3]), atoi(args[4]), atoi(args[5])
	dl := peerDeadline()
	b, err := rpcBus(mode, path, capacity, dl)
	if err != nil {
		return err
	}
	defer b.Close()
	buf := make([]byte, maxRep)
	for i := range n {
		f, err := b.Serve(spins, dl)
		if err != nil {
			return fmt.Errorf("request %d: %w", i, err)
		}
		if f.CorrelationID != uint64(i+1) || f.TypeID != uint32(uint16(i)) {
			return fmt.Errorf("request %d: id %d type %#x", i, f.CorrelationID, f.TypeID)
		}
		if err := checkPayload("request", i, f.Payload, sizeOf(i, maxReq)); err != nil {
			return err
		}
		if err := checkRPCHeader("request", i, f); err != nil {
			return err
		}
		id := f.CorrelationID
		b.CommitServe()
		reply := buf[:sizeOf(i+7, maxRep)]
		fill(reply, ^i)
		if err := b.Reply(id, reply, uint32(uint16(i+1)), dl); err != nil {
			return fmt.Errorf("reply %d: %w", i, err)
		}
	}
	return nil
}

// tachyonCaller plays a Tachyon caller with up to depth calls in flight; a
// reply out of order makes its ring fatal, as in Tachyon.
func tachyonCaller(args []string) error {
	path, mode, capacity, n, maxReq, maxRep, depth :=
		args[0], args[1], atoi(args[2]), atoi(args[3]), atoi(args[4]), atoi(args[5]), atoi(args[6])
	dl := peerDeadline()
	b, err := rpcBus(mode, path, capacity, dl)
	if err != nil {
		return err
	}
	defer b.Close()
	buf := make([]byte, maxReq)
	sent := 0
	for got := 0; got < n; got++ {
		for ; sent < n && sent-got < depth; sent++ {
			req := buf[:sizeOf(sent, maxReq)]
			fill(req, sent)
			id, err := b.Call(req, uint32(uint16(sent)), dl)
			if err != nil || id != uint64(sent+1) {
				return fmt.Errorf("call %d: id %d, %v", sent, id, err)
			}
		}
		f, err := b.Wait(uint64(got+1), spins, dl)
		if err != nil {
			return fmt.Errorf("reply %d: %w", got, err)
		}
		if f.TypeID != uint32(uint16(got+1)) {
			return fmt.Errorf("reply %d: type %#x", got, f.TypeID)
		}
		if err := checkPayload("reply", ^got, f.Payload, sizeOf(got+7, maxRep)); err != nil {
			return err
		}
		if err := checkRPCHeader("reply", got, f); err != nil {
			return err
		}
		b.CommitReply()
	}
	return nil
}
