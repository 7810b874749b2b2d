package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"sync"
	"time"
)

// The net.Conn scenarios, written once for every transport: an echo round
// trip of Size bytes, and a one-way stream of Size-byte writes that the peer
// reads with io.Copy.

const roleNet = "bench-netconn"

// Net scenario modes and names.
const (
	modeEcho = "echo"
	modeCopy = "io.Copy"
)

// Default payload sizes of the net.Conn scenarios.
var (
	EchoSizes = []int{32}
	CopySizes = []int{1 << 10, 4 << 10, 64 << 10, 1 << 20}
)

// NetTransport is a way to connect two processes with a net.Conn. The peer
// process listens, the measuring process dials.
type NetTransport struct {
	Name string
	// Listen runs in the peer process. dir is a fresh private directory
	// for socket files, removed after the run.
	Listen func(dir string, p Params) (net.Listener, error)
	// Dial runs in the measuring process; addr is the listener's
	// Addr().String().
	Dial func(ctx context.Context, addr string, p Params) (net.Conn, error)
}

var netTransports struct {
	sync.Mutex
	list []NetTransport
}

// RegisterNetTransport adds a transport and its echo and io.Copy scenarios,
// compared with the Unix socket's. Call it from an init function.
func RegisterNetTransport(t NetTransport) {
	if t.Name == "" || t.Listen == nil || t.Dial == nil {
		panic(fmt.Sprintf("bench: incomplete net transport %q", t.Name))
	}
	netTransports.Lock()
	netTransports.list = append(netTransports.list, t)
	netTransports.Unlock()
	Register(Scenario{Transport: t.Name, Name: modeEcho, Kind: Latency, Sizes: EchoSizes, Baseline: "unix/" + modeEcho,
		Run: func(ctx context.Context, p Params) (Result, error) { return runNet(ctx, t, modeEcho, p) }})
	Register(Scenario{Transport: t.Name, Name: modeCopy, Kind: Throughput, Sizes: CopySizes, Baseline: "unix/" + modeCopy,
		Run: func(ctx context.Context, p Params) (Result, error) { return runNet(ctx, t, modeCopy, p) }})
}

// NetTransports returns the registered net.Conn transports, for stacks
// (gRPC, HTTP) that run over each of them.
func NetTransports() []NetTransport {
	netTransports.Lock()
	defer netTransports.Unlock()
	return slices.Clone(netTransports.list)
}

func lookupNetTransport(name string) (NetTransport, bool) {
	for _, t := range NetTransports() {
		if t.Name == name {
			return t, true
		}
	}
	return NetTransport{}, false
}

// netSetup is the first control message of a net.Conn scenario; the peer
// answers with netReady.
type netSetup struct {
	Transport string
	Mode      string
	Dir       string
	Params    Params
}

type netReady struct{ Addr string }

// Listen starts t's listener in a peer process and returns a session whose
// peer accepts one connection, and the address to dial. The peer then runs
// mode; dir must outlive the session.
func startNetPeer(t NetTransport, mode, dir string, p Params) (*Session, string, error) {
	s, err := StartPeer(roleNet, p, netSetup{Transport: t.Name, Mode: mode, Dir: dir, Params: p})
	if err != nil {
		return nil, "", err
	}
	var r netReady
	if err := s.Recv(&r); err != nil {
		return nil, "", s.Close(err)
	}
	return s, r.Addr, nil
}

func runNet(ctx context.Context, t NetTransport, mode string, p Params) (Result, error) {
	dir, err := os.MkdirTemp("", "tachyon-bench-")
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(dir)
	s, addr, err := startNetPeer(t, mode, dir, p)
	if err != nil {
		return Result{}, err
	}
	dctx, cancel := context.WithTimeout(ctx, channelTimeout)
	c, err := t.Dial(dctx, addr, p)
	cancel()
	if err != nil {
		return Result{}, s.Close(fmt.Errorf("bench: dial %s %s: %w", t.Name, addr, err))
	}
	c.SetDeadline(time.Now().Add(p.Limit()))
	var res Result
	switch mode {
	case modeEcho:
		res, err = netEcho(c, p)
	case modeRPC:
		res, err = rpcCalls(c, p) // netrpc.go
	default:
		res, err = netCopy(s, c, p)
	}
	c.Close()
	return res, s.Close(err)
}

func netEcho(c net.Conn, p Params) (Result, error) {
	msg, buf := payload(p.Size), make([]byte, p.Size)
	return MeasureRTT(p, func() error {
		if _, err := c.Write(msg); err != nil {
			return err
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			return err
		}
		return checkEcho(buf, msg)
	})
}

func netCopy(s *Session, c net.Conn, p Params) (Result, error) {
	msg := payload(p.Size)
	return MeasureStream(p, func() error {
		_, err := c.Write(msg)
		return err
	}, func(total int64) error {
		if cw, ok := c.(interface{ CloseWrite() error }); ok {
			if err := cw.CloseWrite(); err != nil {
				return err
			}
		} else if err := c.Close(); err != nil {
			return err
		}
		var got streamReport
		if err := s.Recv(&got); err != nil {
			return err
		}
		return checkReport(got, total, p.Size)
	})
}

// counter is the io.Copy sink: it copies every byte into a scratch buffer,
// as a real consumer would touch them, and counts. A sink that only counted
// would make a transport that hands out views (conn's WriteTo) look free.
type counter struct {
	n       int64
	scratch [64 << 10]byte
}

func (w *counter) Write(b []byte) (int, error) {
	for p := b; len(p) > 0; {
		p = p[copy(w.scratch[:], p):]
	}
	w.n += int64(len(b))
	return len(b), nil
}

func netPeer(ctx context.Context, ch *Channel) error {
	var setup netSetup
	if err := ch.Recv(&setup); err != nil {
		return err
	}
	t, ok := lookupNetTransport(setup.Transport)
	if !ok {
		return fmt.Errorf("%w: unknown transport %q", ErrBadMessage, setup.Transport)
	}
	ln, err := t.Listen(setup.Dir, setup.Params)
	if err != nil {
		return err
	}
	c, err := acceptMeasurer(ctx, ch, ln)
	if err != nil {
		return err
	}
	defer c.Close()
	switch setup.Mode {
	case modeEcho:
		buf := make([]byte, setup.Params.Size)
		for {
			if _, err := io.ReadFull(c, buf); err != nil {
				if err == io.EOF {
					return nil
				}
				return err
			}
			if _, err := c.Write(buf); err != nil {
				return err
			}
		}
	case modeRPC:
		return serveRPC(c)
	case modeCopy:
		var w counter
		if _, err := io.Copy(&w, c); err != nil {
			return err
		}
		return ch.Send(streamReport{Bytes: w.n})
	}
	return fmt.Errorf("%w: net mode %q", ErrBadMessage, setup.Mode)
}

// acceptMeasurer tells the measuring process where ln listens, accepts its
// one connection (giving up when ctx ends) and bounds the connection by
// ctx's deadline. ln is closed on return.
func acceptMeasurer(ctx context.Context, ch *Channel, ln net.Listener) (net.Conn, error) {
	defer ln.Close()
	if err := ch.Send(netReady{Addr: ln.Addr().String()}); err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	c, err := ln.Accept()
	if err != nil {
		return nil, err
	}
	if d, ok := ctx.Deadline(); ok {
		c.SetDeadline(d)
	}
	return c, nil
}
