package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/listener"
	"github.com/tachyon-ipc/tachyon-go/shmring"
)

// Frame-mode scenarios: the raw ring's ping-pong and one-way stream, run
// over a connection made by Dial and Accept and switched to frames
// ((*conn.Conn).Frames), with the raw rows' ring sizes and batching. The
// difference between the two rows is what the connection (liveness,
// deadlines, Close) costs on the hot path.

const roleFrames = "bench-frames"

// framesSetup is the first control message of a frame scenario; the peer
// answers with netReady once it listens.
type framesSetup struct {
	Mode     string // modePingPong or modeOneWay
	Dir      string // private directory for the socket
	Capacity int    // ring size, both directions
	// NoFutexStage turns frame mode's futex stage off on both ends
	// (conn.WithFutexStage(0)); by default a side waits on the futex word
	// for conn.DefaultFramesFutexStage before it parks on its doorbell.
	NoFutexStage bool
	// Decode, if set, makes each side of a ping-pong decode every frame it
	// receives into memory of its own, as a decoder that hands the
	// application a message of its own must, and answer from a message it
	// reuses, as a server answering with a prepared message does: a key of
	// floorDecoders.
	Decode string
	Params Params
}

func registerFrames() {
	RegisterRole(roleFrames, framesPeer)
	Register(Scenario{Transport: "shm-frames", Name: modePingPong, Kind: Latency, Sizes: []int{32}, Baseline: "unix/echo",
		Run: func(ctx context.Context, p Params) (Result, error) {
			return runFrames(ctx, p, framesSetup{Mode: modePingPong, Capacity: ringCapacity(p, 4, 64<<10)})
		}})
	// The same without frame mode's futex stage: a side that stops
	// spinning parks on its doorbell at once, as byte mode's do.
	Register(Scenario{Transport: "shm-frames", Name: modePingPong + "-bell", Kind: Latency, Sizes: []int{32}, Baseline: "unix/echo",
		Run: func(ctx context.Context, p Params) (Result, error) {
			return runFrames(ctx, p, framesSetup{Mode: modePingPong, Capacity: ringCapacity(p, 4, 64<<10),
				NoFutexStage: true})
		}})
	// The floors of gRPC's API over frames: the round trip of a unary call
	// whose two messages are decoded into memory of their own, with no
	// gRPC in it: copied out (alloc), or decoded by protobuf as generated
	// code does (proto). Beside grpc-direct/unary they show what is left to
	// gRPC and the transport once the decoding and the garbage collector
	// have had their share.
	for _, decode := range []string{decodeAlloc, decodeProto} {
		Register(Scenario{Transport: "shm-frames", Name: modePingPong + "-" + decode, Kind: Latency, Sizes: []int{32, 1 << 20},
			Baseline: "grpc-unix/unary", Run: func(ctx context.Context, p Params) (Result, error) {
				return runFrames(ctx, p, framesSetup{Mode: modePingPong, Capacity: ringCapacity(p, 4, 64<<10), Decode: decode})
			}})
	}
	Register(Scenario{Transport: "shm-frames", Name: modeOneWay, Kind: Throughput, Sizes: []int{1 << 10, 64 << 10},
		Baseline: "unix/io.Copy", Run: func(ctx context.Context, p Params) (Result, error) {
			return runFrames(ctx, p, framesSetup{Mode: modeOneWay, Capacity: ringCapacity(p, 16, 1<<20)})
		}})
}

// framesOptions are the connection options of both ends: Shm's, with the
// ring size of the raw row, and without the futex stage if the setup says
// so.
func framesOptions(s framesSetup) []conn.Option {
	p := s.Params
	p.Capacity = s.Capacity
	opts := connOptions(p)
	if s.NoFutexStage {
		opts = append(opts, conn.WithFutexStage(0))
	}
	return opts
}

// runFrames starts a peer that listens, dials it and runs setup's mode over
// frames.
func runFrames(ctx context.Context, p Params, setup framesSetup) (Result, error) {
	dir, err := os.MkdirTemp("", "tachyon-bench-")
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(dir)
	setup.Dir, setup.Params = dir, p
	s, err := StartPeer(roleFrames, p, setup)
	if err != nil {
		return Result{}, err
	}
	var r netReady
	if err := s.Recv(&r); err != nil {
		return Result{}, s.Close(err)
	}
	dctx, cancel := context.WithTimeout(ctx, channelTimeout)
	c, err := conn.Dial(dctx, r.Addr, framesOptions(setup)...)
	cancel()
	if err != nil {
		return Result{}, s.Close(fmt.Errorf("bench: dial %s: %w", r.Addr, err))
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(p.Limit()))
	var res Result
	switch {
	case setup.Mode == modePingPong && setup.Decode != "":
		d, ok := floorDecoders[setup.Decode]
		if !ok {
			return Result{}, s.Close(fmt.Errorf("%w: decoder %q", ErrBadMessage, setup.Decode))
		}
		res, err = framesPingPongMsg(c, p, d.encode(p.Size), d.receive(p.Size), directFrames...)
	case setup.Mode == modePingPong:
		res, err = framesPingPong(c, p, receiveEcho(make([]byte, p.Size)))
	default:
		res, err = framesOneWay(s, c, p)
	}
	return res, s.Close(err)
}

// sendFrameTo copies payload into one frame.
func sendFrameTo(f *conn.Frames, payload []byte) error {
	b, err := f.Acquire(context.Background(), len(payload))
	if err != nil {
		return err
	}
	copy(b, payload)
	return f.Commit(len(payload), benchType)
}

// framesPingPong sends each message in a frame and takes the answer with
// receive, which checks it against msg.
func framesPingPong(c *conn.Conn, p Params, receive func(f *conn.Frames, msg []byte) error) (Result, error) {
	return framesPingPongMsg(c, p, payload(p.Size), receive)
}

// framesPingPongMsg is framesPingPong with msg as the message and fopts
// for frame mode.
func framesPingPongMsg(c *conn.Conn, p Params, msg []byte, receive func(f *conn.Frames, msg []byte) error,
	fopts ...conn.FramesOption) (Result, error) {
	f, err := c.Frames(fopts...)
	if err != nil {
		return Result{}, err
	}
	res, err := MeasureRTT(p, func() error {
		if err := sendFrameTo(f, msg); err != nil {
			return err
		}
		return receive(f, msg)
	})
	if err != nil {
		return res, err
	}
	c.CloseWrite()
	// The peer closes once it has read our EOF.
	if _, err := f.Next(context.Background()); err != io.EOF {
		return res, fmt.Errorf("bench: peer did not end the echo: %v", err)
	}
	return res, nil
}

// receiveEcho is ping-pong's receive: the echo, copied out and compared.
func receiveEcho(buf []byte) func(f *conn.Frames, msg []byte) error {
	return func(f *conn.Frames, msg []byte) error {
		fr, err := f.Next(context.Background())
		if err != nil {
			return err
		}
		n := copy(buf, fr.Payload)
		f.Release()
		return checkEcho(buf[:n], msg)
	}
}

func framesOneWay(s *Session, c *conn.Conn, p Params) (Result, error) {
	f, err := c.Frames(conn.WithPublishEvery(publishEvery(p.Size)))
	if err != nil {
		return Result{}, err
	}
	msg := payload(p.Size)
	return MeasureStream(p, func() error { return sendFrameTo(f, msg) }, func(total int64) error {
		if err := c.CloseWrite(); err != nil {
			return err
		}
		var got streamReport
		if err := s.Recv(&got); err != nil {
			return err
		}
		return checkReport(got, total, p.Size)
	})
}

// framesPeer is the peer side of both frame modes: it listens, accepts one
// connection and echoes frames or drains them.
func framesPeer(ctx context.Context, ch *Channel) error {
	var setup framesSetup
	if err := ch.Recv(&setup); err != nil {
		return err
	}
	ln, err := listener.Listen(filepath.Join(setup.Dir, "frames.sock"),
		listener.WithConnOptions(framesOptions(setup)...))
	if err != nil {
		return err
	}
	nc, err := acceptMeasurer(ctx, ch, ln)
	if err != nil {
		return err
	}
	defer nc.Close()
	c, ok := nc.(*conn.Conn)
	if !ok {
		return fmt.Errorf("%w: the measuring process did not connect over shared memory", ErrBadMessage)
	}
	var fopts []conn.FramesOption
	if setup.Decode != "" {
		fopts = directFrames
	}
	f, err := c.Frames(fopts...)
	if err != nil {
		return err
	}
	switch setup.Mode {
	case modePingPong:
		if setup.Decode != "" {
			d, ok := floorDecoders[setup.Decode]
			if !ok {
				return fmt.Errorf("%w: decoder %q", ErrBadMessage, setup.Decode)
			}
			return d.answer(f)
		}
		return echoFrames(f)
	case modeOneWay:
		got, err := drainFrames(f, shmring.MaxPayload(setup.Capacity))
		if err != nil {
			return err
		}
		return ch.Send(got)
	}
	return fmt.Errorf("%w: frames mode %q", ErrBadMessage, setup.Mode)
}

// echoFrames sends every frame back, copied from the view it arrived in
// into the view it leaves in, until io.EOF.
func echoFrames(f *conn.Frames) error {
	ctx := context.Background()
	for {
		fr, err := f.Next(ctx)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		b, err := f.Acquire(ctx, len(fr.Payload))
		if err != nil {
			return err
		}
		copy(b, fr.Payload)
		if err := f.Commit(len(b), fr.Type); err != nil {
			return err
		}
		f.Release()
	}
}

// drainFrames reads frames in batches until io.EOF, copying each payload
// out as a reader would (as drainRing does), and counts them.
func drainFrames(f *conn.Frames, maxPayload int) (streamReport, error) {
	var got streamReport
	frames := make([]shmring.Frame, 64)
	buf := make([]byte, maxPayload)
	ctx := context.Background()
	for {
		n, err := f.Drain(ctx, frames)
		if err == io.EOF {
			return got, nil
		}
		if err != nil {
			return got, err
		}
		for _, fr := range frames[:n] {
			got.Bytes += int64(copy(buf, fr.Payload))
		}
		got.Msgs += int64(n)
		f.Release()
	}
}
