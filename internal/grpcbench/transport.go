package grpcbench

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/grpcshm"
	"github.com/tachyon-ipc/tachyon-go/listener"
)

// Transport names.
const (
	Shm     = "shm"     // grpcshm.Listen and grpcshm's dialer
	Unix    = "unix"    // a Unix stream socket
	TCP     = "tcp"     // TCP over loopback
	Bufconn = "bufconn" // grpc-go's test/bufconn, in-process only
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

// NewServer returns a gRPC server with the benchmark service, tuned.
func NewServer(tu Tuning) *grpc.Server {
	s := grpc.NewServer(tu.ServerOptions()...)
	Register(s)
	return s
}

// bufconnSize is the buffer of a bufconn listener, as grpc-go's own
// benchmarks use.
const bufconnSize = 1 << 20

// Listen returns a listener of transport; socket files go in dir.
func Listen(transport, dir string, tu Tuning) (net.Listener, error) {
	switch transport {
	case Shm:
		return grpcshm.Listen(filepath.Join(dir, "grpc-shm.sock"), listener.WithConnOptions(tu.connOptions()...))
	case Unix:
		return net.Listen("unix", filepath.Join(dir, "grpc.sock"))
	case TCP:
		return net.Listen("tcp", "127.0.0.1:0")
	case Bufconn:
		return bufconn.Listen(bufconnSize), nil
	}
	return nil, fmt.Errorf("grpcbench: unknown transport %q", transport)
}

// Dial returns a client of the server at addr (a listener's
// Addr().String()). A Bufconn client needs the listener itself: use
// DialListener.
func Dial(transport, addr string, tu Tuning) (*grpc.ClientConn, error) {
	opts := append(tu.DialOptions(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	switch transport {
	case Shm:
		opts = append(opts, grpc.WithContextDialer(grpcshm.NewDialer(tu.connOptions()...)))
		return grpc.NewClient(grpcshm.Scheme+"://"+addr, opts...)
	case Unix:
		return grpc.NewClient("unix://"+addr, opts...)
	case TCP:
		return grpc.NewClient("passthrough:///"+addr, opts...)
	}
	return nil, fmt.Errorf("grpcbench: transport %q cannot be dialled by address", transport)
}

// DialListener returns a client of the in-process listener lis, which
// Listen made for transport.
func DialListener(transport string, lis net.Listener, tu Tuning) (*grpc.ClientConn, error) {
	if transport != Bufconn {
		return Dial(transport, lis.Addr().String(), tu)
	}
	bl, ok := lis.(*bufconn.Listener)
	if !ok {
		return nil, fmt.Errorf("grpcbench: bufconn client for a %T", lis)
	}
	opts := append(tu.DialOptions(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return bl.DialContext(ctx) }))
	return grpc.NewClient("passthrough:///bufconn", opts...)
}
