package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/tachyon-ipc/tachyon-go/bus"
	"github.com/tachyon-ipc/tachyon-go/shmring"
)

// The comparison with Tachyon's C++ core: the same ping-pong and one-way
// streams as the shm-raw rows, with one or both sides played by
// tachyon-cxxpeer, our C++ program built against Tachyon's C API
// (internal/cxxpeer). Go sides talk to it through package bus, Tachyon's
// own wire and wait protocol. These scenarios are not registered: they
// exist only when a caller names a built peer (CxxScenarios), so CI and
// the default tables never need one.

// CxxPeer locates the built C++ peer.
type CxxPeer struct {
	Path string // the tachyon-cxxpeer binary
	// Spin is how many times a C++ side polls (Tachyon's spin_threshold,
	// one pause each) before it parks on the futex; 0 means 10000.
	Spin int
}

// DefaultCxxPeerPath is where internal/cxxpeer/build.sh puts the peer by
// default: $TACHYON_CXXPEER if set, else tachyon-cxxpeer in the temporary
// directory.
func DefaultCxxPeerPath() string {
	if p := os.Getenv("TACHYON_CXXPEER"); p != "" {
		return p
	}
	return filepath.Join(os.TempDir(), "tachyon-cxxpeer")
}

// ErrNoCxxPeer reports that the C++ peer is not built where it was looked
// for.
var ErrNoCxxPeer = errors.New("bench: no C++ peer")

// CxxBuildHint is the one line that says how to get the C++ peer.
const CxxBuildHint = "build Tachyon by its own instructions, then internal/cxxpeer/build.sh TACHYON_DIR [CXX]"

// Check reports whether the peer binary exists and is executable.
func (c CxxPeer) Check() error {
	st, err := os.Stat(c.Path)
	if err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
		return fmt.Errorf("%w at %s (%s)", ErrNoCxxPeer, c.Path, CxxBuildHint)
	}
	return nil
}

// TachyonCommit returns the Tachyon commit build.sh recorded beside the
// peer, or "unknown".
func (c CxxPeer) TachyonCommit() string {
	b, err := os.ReadFile(c.Path + ".tachyon-commit")
	if err != nil || len(b) == 0 {
		return "unknown"
	}
	return string(b[:len(b)-1])
}

// Transports of the comparison rows: who pings (or sends) ↔ who echoes (or
// receives). The Go↔Go rows are shm-raw/ping-pong and shm-raw/one-way.
const (
	TransportCxxCxx = "c++/c++"
	TransportGoCxx  = "go/c++"
	TransportCxxGo  = "c++/go"
)

// Frame types between the C++ peer and us (internal/cxxpeer/doc.go).
const (
	cxxData shmring.TypeID = 1 // benchType: a frame to echo or count
	cxxEnd  shmring.TypeID = 2 // the last frame
)

// CxxScenarios returns the comparison scenarios run with peer: ping-pong
// (32 B) and one-way streams (32 B batched, 1 KiB) for C++↔C++, Go→C++ and
// C++→Go.
func CxxScenarios(peer CxxPeer) []Scenario {
	if peer.Spin <= 0 {
		peer.Spin = 10000
	}
	var list []Scenario
	for _, t := range []string{TransportCxxCxx, TransportGoCxx, TransportCxxGo} {
		list = append(list,
			Scenario{Transport: t, Name: "ping-pong", Kind: Latency, Sizes: []int{32},
				Run: func(ctx context.Context, p Params) (Result, error) { return cxxPingPong(ctx, peer, t, p) }},
			Scenario{Transport: t, Name: "one-way", Kind: Throughput, Sizes: []int{32, 1 << 10},
				Run: func(ctx context.Context, p Params) (Result, error) { return cxxOneWay(ctx, peer, t, p) }})
	}
	return list
}

// cxxRun gives a scenario a private directory for its sockets and a
// context bounded by p.Limit.
func cxxRun(ctx context.Context, p Params, body func(ctx context.Context, dir string) (Result, error)) (Result, error) {
	dir, err := os.MkdirTemp("", "tachyon-bench-cxx-")
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(ctx, p.Limit())
	defer cancel()
	return body(ctx, dir)
}

// goPair opens this process's ends of a ping-pong: it listens on listen
// (the ring it writes) while it dials dial (the ring it reads).
func goPair(ctx context.Context, listen, dial string, capacity int, opts []bus.Option) (*bus.Producer, *bus.Consumer, func(), error) {
	type listened struct {
		b   *bus.Bus
		err error
	}
	lc := make(chan listened, 1)
	go func() {
		b, err := bus.ListenContext(ctx, listen, capacity, opts...)
		lc <- listened{b, err}
	}()
	rx, derr := bus.Dial(ctx, dial, opts...)
	l := <-lc
	closeAll := func() {
		if l.b != nil {
			l.b.Close()
		}
		if rx != nil {
			rx.Close()
		}
	}
	if err := errors.Join(l.err, derr); err != nil {
		closeAll()
		return nil, nil, nil, err
	}
	prod, perr := l.b.Producer()
	cons, cerr := rx.Consumer()
	if err := errors.Join(perr, cerr); err != nil {
		closeAll()
		return nil, nil, nil, err
	}
	deadline, _ := ctx.Deadline()
	prod.SetDeadline(deadline)
	cons.SetDeadline(deadline)
	return prod, cons, closeAll, nil
}

// cxxCapacity is the rings' capacity for the C++ rows: at least floor, and
// enough for Tachyon's consumer, which publishes its tail only every 32
// frames, never before it sleeps: a ring that holds fewer frames deadlocks
// (bus.CapacityFor).
func cxxCapacity(p Params, floor int) int {
	if p.Capacity > 0 {
		return p.Capacity
	}
	return min(max(bus.CapacityFor(p.Size), floor), shmring.MaxCapacity)
}

func cxxPingPong(ctx context.Context, peer CxxPeer, transport string, p Params) (Result, error) {
	capacity := cxxCapacity(p, 64<<10)
	return cxxRun(ctx, p, func(ctx context.Context, dir string) (Result, error) {
		a, b := filepath.Join(dir, "ping.sock"), filepath.Join(dir, "pong.sock") // ping writes a, pong writes b
		common := []string{"cap=" + strconv.Itoa(capacity), "spin=" + strconv.Itoa(peer.Spin)}
		pingArgs := append([]string{"listen=" + a, "connect=" + b}, append(common, cxxTiming(p)...)...)
		pongArgs := append([]string{"listen=" + b, "connect=" + a}, common...)
		switch transport {
		case TransportCxxCxx:
			pong, err := startCxx(ctx, peer, p, "pong", true, pongArgs...)
			if err != nil {
				return Result{}, err
			}
			ping, err := startCxx(ctx, peer, p, "ping", false, pingArgs...)
			if err != nil {
				pong.kill()
				return Result{}, err
			}
			return cxxPingResult(p, ping, pong)
		case TransportGoCxx:
			pong, err := startCxx(ctx, peer, p, "pong", true, pongArgs...)
			if err != nil {
				return Result{}, err
			}
			res, err := goPing(ctx, p, a, b, capacity)
			if err != nil {
				pong.kill()
				return Result{}, err
			}
			return res, pong.wait()
		default: // TransportCxxGo
			ping, err := startCxx(ctx, peer, p, "ping", true, pingArgs...)
			if err != nil {
				return Result{}, err
			}
			if err := goPong(ctx, p, b, a, capacity); err != nil {
				ping.kill()
				return Result{}, err
			}
			return cxxPingResult(p, ping, nil)
		}
	})
}

// cxxPingResult collects a C++ ping's samples and waits for both peers.
func cxxPingResult(p Params, ping, pong *cxxProc) (Result, error) {
	h, n, elapsed, err := ping.samples()
	if err == nil {
		err = ping.wait()
	}
	if pong != nil {
		if err != nil {
			pong.kill()
		} else {
			err = pong.wait()
		}
	}
	if err != nil {
		ping.kill()
		return Result{}, err
	}
	return Result{Hist: h, Msgs: n, Bytes: n * int64(p.Size), Elapsed: elapsed}, nil
}

// goPing is the Go ping of go/c++: it measures like shm-raw/ping-pong, over
// package bus.
func goPing(ctx context.Context, p Params, listen, dial string, capacity int) (Result, error) {
	prod, cons, closeAll, err := goPair(ctx, listen, dial, capacity, busOptions(p))
	if err != nil {
		return Result{}, err
	}
	defer closeAll()
	msg, buf := payload(p.Size), make([]byte, p.Size)
	res, err := MeasureRTT(p, func() error {
		if err := sendFrame(prod.Producer, msg); err != nil {
			return err
		}
		n, err := recvFrame(cons.Consumer, buf)
		if err != nil {
			return err
		}
		return checkEcho(buf[:n], msg)
	})
	if err != nil {
		return res, err
	}
	return res, sendFrameType(prod.Producer, nil, cxxEnd)
}

// goPong echoes every frame until the end frame.
func goPong(ctx context.Context, p Params, listen, dial string, capacity int) error {
	prod, cons, closeAll, err := goPair(ctx, listen, dial, capacity, busOptions(p))
	if err != nil {
		return err
	}
	defer closeAll()
	for {
		t, err := echoFrame(cons.Consumer, prod.Producer)
		if err != nil || t == cxxEnd {
			return err
		}
	}
}

func cxxOneWay(ctx context.Context, peer CxxPeer, transport string, p Params) (Result, error) {
	capacity := cxxCapacity(p, 1<<20)
	return cxxRun(ctx, p, func(ctx context.Context, dir string) (Result, error) {
		path := filepath.Join(dir, "stream.sock")
		recvArgs := []string{"connect=" + path, "spin=" + strconv.Itoa(peer.Spin)}
		sendArgs := append([]string{"listen=" + path, "cap=" + strconv.Itoa(capacity),
			"batch=" + strconv.Itoa(publishEvery(p.Size))}, cxxTiming(p)...)
		switch transport {
		case TransportCxxCxx:
			recv, err := startCxx(ctx, peer, p, "recv", true, recvArgs...)
			if err != nil {
				return Result{}, err
			}
			send, err := startCxx(ctx, peer, p, "send", false, sendArgs...)
			if err != nil {
				recv.kill()
				return Result{}, err
			}
			var warm, msgs, start, got, bytes, end int64
			err = errors.Join(send.line("sent", &warm, &msgs, &start), recv.line("recv", &got, &bytes, &end))
			err = errors.Join(err, send.wait(), recv.wait())
			if err == nil {
				err = checkReport(streamReport{Msgs: got, Bytes: bytes}, warm+msgs, p.Size)
			}
			if err != nil {
				send.kill()
				recv.kill()
				return Result{}, err
			}
			return Result{Msgs: msgs, Bytes: msgs * int64(p.Size), Elapsed: time.Duration(end - start)}, nil
		case TransportGoCxx:
			recv, err := startCxx(ctx, peer, p, "recv", true, recvArgs...)
			if err != nil {
				return Result{}, err
			}
			res, err := goSend(ctx, p, path, capacity, recv)
			if err != nil {
				recv.kill()
			}
			return res, err
		default: // TransportCxxGo
			send, err := startCxx(ctx, peer, p, "send", true, sendArgs...)
			if err != nil {
				return Result{}, err
			}
			res, err := goRecv(ctx, p, path, send)
			if err != nil {
				send.kill()
			}
			return res, err
		}
	})
}

// goSend streams to a C++ receiver, measured like shm-raw/one-way.
func goSend(ctx context.Context, p Params, path string, capacity int, recv *cxxProc) (Result, error) {
	b, err := bus.ListenContext(ctx, path, capacity, append(busOptions(p), bus.WithPublishEvery(publishEvery(p.Size)))...)
	if err != nil {
		return Result{}, err
	}
	defer b.Close()
	prod, err := b.Producer()
	if err != nil {
		return Result{}, err
	}
	deadline, _ := ctx.Deadline()
	prod.SetDeadline(deadline)
	msg := payload(p.Size)
	return MeasureStream(p, func() error { return sendFrame(prod.Producer, msg) }, func(total int64) error {
		if err := sendFrameType(prod.Producer, nil, cxxEnd); err != nil {
			return err
		}
		if err := prod.Flush(); err != nil {
			return err
		}
		var got, bytes, end int64
		if err := recv.line("recv", &got, &bytes, &end); err != nil {
			return err
		}
		if err := recv.wait(); err != nil {
			return err
		}
		return checkReport(streamReport{Msgs: got, Bytes: bytes}, total, p.Size)
	})
}

// goRecv drains a C++ sender's stream, copying every payload out, and
// times it from the sender's start to the end frame's arrival.
func goRecv(ctx context.Context, p Params, path string, send *cxxProc) (Result, error) {
	b, err := bus.Dial(ctx, path, busOptions(p)...)
	if err != nil {
		return Result{}, err
	}
	defer b.Close()
	cons, err := b.Consumer()
	if err != nil {
		return Result{}, err
	}
	deadline, _ := ctx.Deadline()
	cons.SetDeadline(deadline)
	var got streamReport
	frames := make([]shmring.Frame, 64)
	buf := make([]byte, b.Capacity())
	for end := false; !end; {
		n, err := cons.Drain(frames)
		if err == shmring.ErrEmpty {
			if err := cons.Wait(); err != nil {
				return Result{}, err
			}
			continue
		}
		if err != nil {
			return Result{}, err
		}
		for _, f := range frames[:n] {
			if f.Type == cxxEnd {
				end = true
				continue
			}
			got.Bytes += int64(copy(buf, f.Payload))
			got.Msgs++
		}
		if err := cons.Commit(); err != nil {
			return Result{}, err
		}
	}
	endNs := monotonicNs()
	var warm, msgs, start int64
	if err := send.line("sent", &warm, &msgs, &start); err != nil {
		return Result{}, err
	}
	if err := send.wait(); err != nil {
		return Result{}, err
	}
	if err := checkReport(got, warm+msgs, p.Size); err != nil {
		return Result{}, err
	}
	return Result{Msgs: msgs, Bytes: msgs * int64(p.Size), Elapsed: time.Duration(endNs - start)}, nil
}

// busOptions give the Go sides of the C++ rows the run's spin budget, as
// the shm-raw rows have it: pinned to one CPU, a process's own default
// would be not to spin at all.
func busOptions(p Params) []bus.Option { return spinOption(p.Spin, bus.WithSpin) }
