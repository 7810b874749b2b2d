package grpcbench

import (
	"context"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/grpcshm"
	"github.com/tachyon-ipc/tachyon-go/listener"
	"github.com/tachyon-ipc/tachyon-go/shmring"
)

// Transport names.
const (
	Shm     = "shm"     // grpcshm.Listen and grpcshm's dialer
	Unix    = "unix"    // a Unix stream socket
	TCP     = "tcp"     // TCP over loopback
	Bufconn = "bufconn" // grpc-go's test/bufconn, in-process only
	Direct  = "direct"  // grpcshm's direct path: grpcshm.Server and Channel, no HTTP/2
	Codec   = "codec"   // no transport: protobuf encoding and decoding alone (CodecFloor)
)

// Tuning is what a benchmark may change on both sides. The zero value is
// every library's default.
type Tuning struct {
	// Spin is the shared-memory spin budget of both sides (conn.WithSpin);
	// zero keeps conn's default, NoSpin parks at once.
	Spin time.Duration `json:",omitempty"`
	// RingSize is the shared-memory ring capacity of each direction; zero
	// keeps conn.DefaultRingSize.
	RingSize int `json:",omitempty"`
	// StreamWorkers sets grpc.NumStreamWorkers on the server.
	StreamWorkers uint32 `json:",omitempty"`
	// ReadBuffer and WriteBuffer set gRPC's buffer sizes on both sides;
	// zero keeps gRPC's 32 KiB, a negative WriteBuffer writes each frame
	// straight to the connection.
	ReadBuffer, WriteBuffer int `json:",omitempty"`
	// Window sets gRPC's initial stream and connection windows on both
	// sides (which disables its BDP estimation); zero keeps gRPC's dynamic
	// windows.
	Window int32 `json:",omitempty"`
	// Plain runs Shm with gRPC's and conn's defaults instead of grpcshm's
	// (grpcshm.ServerOptions on the server, grpcshm.NewClient's options,
	// grpcshm.DefaultRingSize); the knobs above still apply on top.
	Plain bool `json:",omitempty"`
}

// NoSpin as Tuning.Spin makes shared-memory sides park at once.
const NoSpin = time.Duration(-1)

func (tu Tuning) connOptions() []conn.Option {
	var opts []conn.Option
	switch {
	case tu.Spin == NoSpin:
		opts = append(opts, conn.WithSpin(0))
	case tu.Spin > 0:
		opts = append(opts, conn.WithSpin(tu.Spin))
	}
	if tu.RingSize > 0 {
		opts = append(opts, conn.WithRingSize(tu.RingSize))
	}
	return opts
}

// writeBuffer maps Tuning.WriteBuffer to gRPC's value (0 = unbuffered).
func (tu Tuning) writeBuffer() (int, bool) {
	switch {
	case tu.WriteBuffer < 0:
		return 0, true
	case tu.WriteBuffer > 0:
		return tu.WriteBuffer, true
	}
	return 0, false
}

// ServerOptions returns the gRPC server options tu asks for.
func (tu Tuning) ServerOptions() []grpc.ServerOption {
	var opts []grpc.ServerOption
	if tu.StreamWorkers > 0 {
		opts = append(opts, grpc.NumStreamWorkers(tu.StreamWorkers))
	}
	if tu.ReadBuffer > 0 {
		opts = append(opts, grpc.ReadBufferSize(tu.ReadBuffer))
	}
	if n, ok := tu.writeBuffer(); ok {
		opts = append(opts, grpc.WriteBufferSize(n))
	}
	if tu.Window > 0 {
		opts = append(opts, grpc.InitialWindowSize(tu.Window), grpc.InitialConnWindowSize(tu.Window))
	}
	return opts
}

// DialOptions returns the gRPC dial options tu asks for, credentials
// excluded.
func (tu Tuning) DialOptions() []grpc.DialOption {
	var opts []grpc.DialOption
	if tu.ReadBuffer > 0 {
		opts = append(opts, grpc.WithReadBufferSize(tu.ReadBuffer))
	}
	if n, ok := tu.writeBuffer(); ok {
		opts = append(opts, grpc.WithWriteBufferSize(n))
	}
	if tu.Window > 0 {
		opts = append(opts, grpc.WithInitialWindowSize(tu.Window), grpc.WithInitialConnWindowSize(tu.Window))
	}
	return opts
}

// GRPCServer is what the benchmark needs of a server: grpc.Server and
// grpcshm.Server both are one.
type GRPCServer interface {
	grpc.ServiceRegistrar
	Serve(net.Listener) error
	Stop()
}

// NewServer returns a gRPC server with the benchmark service for
// transport, tuned: over Shm it starts from grpcshm.ServerOptions unless
// tu.Plain; over Direct it is a grpcshm.Server.
func NewServer(transport string, tu Tuning) GRPCServer {
	if transport == Direct {
		s := grpcshm.NewServer(grpcshm.WithGRPCServerOptions(tu.ServerOptions()...))
		Register(s)
		return s
	}
	var opts []grpc.ServerOption
	if transport == Shm && !tu.Plain {
		opts = grpcshm.ServerOptions()
	}
	s := grpc.NewServer(append(opts, tu.ServerOptions()...)...)
	Register(s)
	return s
}

// bufconnSize is the buffer of a bufconn listener, as grpc-go's own
// benchmarks use.
const bufconnSize = 1 << 20

// Listen returns a listener of transport; socket files go in dir.
func Listen(transport, dir string, tu Tuning) (net.Listener, error) {
	switch transport {
	case Shm, Direct:
		path := filepath.Join(dir, "grpc-shm.sock")
		if tu.Plain {
			return listener.Listen(path, listener.WithConnOptions(tu.connOptions()...))
		}
		return grpcshm.Listen(path, listener.WithConnOptions(tu.connOptions()...))
	case Unix:
		return net.Listen("unix", filepath.Join(dir, "grpc.sock"))
	case TCP:
		return net.Listen("tcp", "127.0.0.1:0")
	case Bufconn:
		return bufconn.Listen(bufconnSize), nil
	}
	return nil, fmt.Errorf("grpcbench: unknown transport %q", transport)
}

// Client is a gRPC client of a benchmark server: a *grpc.ClientConn, or a
// *grpcshm.Channel over Direct. Over shared memory it also reads the
// counters of its connections' rings.
type Client struct {
	grpc.ClientConnInterface
	closer io.Closer
	mu     sync.Mutex   // guards conns
	conns  []*conn.Conn // every shared-memory connection dialled
}

// Close closes the client.
func (c *Client) Close() error { return c.closer.Close() }

// setConn makes cc the client's connection.
func (c *Client) setConn(cc *grpc.ClientConn) {
	c.ClientConnInterface, c.closer = cc, cc
}

// ShmStats returns the counters of the client's shared-memory connections,
// summed: tx is the client's writing side, rx its reading side. Both are
// zero over other transports.
func (c *Client) ShmStats() (tx, rx shmring.Stats) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, sc := range c.conns {
		t, r := sc.Stats()
		tx, rx = addStats(tx, t), addStats(rx, r)
	}
	return tx, rx
}

func addStats(a, b shmring.Stats) shmring.Stats {
	return shmring.Stats{Frames: a.Frames + b.Frames, Bytes: a.Bytes + b.Bytes, Publishes: a.Publishes + b.Publishes,
		Wakes: a.Wakes + b.Wakes, SpinWins: a.SpinWins + b.SpinWins, Parks: a.Parks + b.Parks, Waits: a.Waits + b.Waits}
}

// dialShm is the client's shared-memory dialer; it keeps every connection
// for ShmStats.
func (c *Client) dialShm(opts []conn.Option) func(ctx context.Context, addr string) (net.Conn, error) {
	return func(ctx context.Context, addr string) (net.Conn, error) {
		sc, err := conn.Dial(ctx, addr, opts...)
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		c.conns = append(c.conns, sc)
		c.mu.Unlock()
		return sc, nil
	}
}

// Dial returns a client of the server at addr (a listener's
// Addr().String()). A Bufconn client needs the listener itself: use
// DialListener.
func Dial(transport, addr string, tu Tuning) (*Client, error) {
	c := &Client{}
	opts := append(tu.DialOptions(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	var target string
	switch transport {
	case Direct:
		ch, err := grpcshm.NewChannel(addr, grpcshm.WithConnOptions(tu.connOptions()...))
		if err != nil {
			return nil, err
		}
		c.ClientConnInterface, c.closer = ch, ch
		return c, nil
	case Shm:
		opts = append(opts, grpc.WithContextDialer(c.dialShm(tu.connOptions())))
		if !tu.Plain { // grpcshm.NewClient as users call it, our knobs on top
			cc, err := grpcshm.NewClient(addr, opts...)
			if err != nil {
				return nil, err
			}
			c.setConn(cc)
			return c, nil
		}
		target = grpcshm.Scheme + "://" + addr
	case Unix:
		target = "unix://" + addr
	case TCP:
		target = "passthrough:///" + addr
	default:
		return nil, fmt.Errorf("grpcbench: transport %q cannot be dialled by address", transport)
	}
	cc, err := grpc.NewClient(target, opts...)
	if err != nil {
		return nil, err
	}
	c.setConn(cc)
	return c, nil
}

// DialListener returns a client of the in-process listener lis, which
// Listen made for transport.
func DialListener(transport string, lis net.Listener, tu Tuning) (*Client, error) {
	if transport != Bufconn {
		return Dial(transport, lis.Addr().String(), tu)
	}
	bl, ok := lis.(*bufconn.Listener)
	if !ok {
		return nil, fmt.Errorf("grpcbench: bufconn client for a %T", lis)
	}
	opts := append(tu.DialOptions(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return bl.DialContext(ctx) }))
	cc, err := grpc.NewClient("passthrough:///bufconn", opts...)
	if err != nil {
		return nil, err
	}
	c := &Client{}
	c.setConn(cc)
	return c, nil
}
