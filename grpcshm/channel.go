package grpcshm

import (
	"context"
	"io"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tachyon-ipc/tachyon-go/conn"
)

// Channel is a grpc.ClientConnInterface that calls a grpcshm.Server over
// shared memory without HTTP/2: pass it to generated client constructors
// (pb.NewFooClient(ch)) in place of a *grpc.ClientConn. Get one from
// NewChannel. Its methods are safe for concurrent use.
//
// A Channel connects on its first call and multiplexes every call over one
// connection; when the connection breaks (the server stopped or died) the
// next call reconnects at once, and failed attempts back off as
// grpc.ClientConn's do (1 s, growing 1.6× to 120 s, ±20%). While it backs
// off, calls fail at once with codes.Unavailable, unless they were made
// with grpc.WaitForReady(true), which makes them wait for a connection or
// for their context.
type Channel struct {
	path   string           // the server's socket path; "" for a remote target
	remote *grpc.ClientConn // a target that is not local
	opts   channelOptions
	unary  grpc.UnaryInvoker // Invoke through the unary interceptors
	stream grpc.Streamer     // NewStream through the stream interceptors

	mu       sync.Mutex
	d        *clientConn   // the current connection
	dialing  chan struct{} // closed when the attempt in progress ends
	lastErr  error         // of the last failed attempt
	retryAt  time.Time     // no attempt before this
	attempts int           // failed attempts in a row
	closed   bool
}

// NewChannel returns a Channel for target. A local target, as NewClient
// takes it (a socket path starting with "/", "./" or "../", or a "shm:"
// URL), or a Linux abstract socket name ("@svc"), is served over shared memory without HTTP/2 by the grpcshm.Server
// listening there; any other target ("dns:///host:50051") is handed to
// grpc.NewClient with the options of WithGRPCDialOptions, so one client code
// path reaches a local replica over shared memory and a remote one over the
// network. No connection is made before the first call.
func NewChannel(target string, opts ...ChannelOption) (*Channel, error) {
	ch := &Channel{opts: channelOptions{window: DefaultWindow, spin: DefaultSpin}}
	for _, o := range opts {
		o(&ch.opts)
	}
	if strings.HasPrefix(target, "@") { // a Linux abstract socket name (listener.ListenAbstract)
		ch.path = target
		ch.unary = chainUnaryClient(ch.opts.unary, ch.invoke)
		ch.stream = chainStreamClient(ch.opts.stream, ch.newStream)
		return ch, nil
	}
	shmTarget, local := localTarget(target)
	if !local {
		dial := append([]grpc.DialOption{
			grpc.WithChainUnaryInterceptor(ch.opts.unary...),
			grpc.WithChainStreamInterceptor(ch.opts.stream...),
			grpc.WithDefaultCallOptions(ch.opts.callOpts...),
		}, ch.opts.dialOpts...)
		cc, err := grpc.NewClient(target, dial...)
		if err != nil {
			return nil, err
		}
		ch.remote = cc
		return ch, nil
	}
	u, err := url.Parse(shmTarget)
	if err != nil {
		return nil, err
	}
	ch.path = u.Path
	ch.unary = chainUnaryClient(ch.opts.unary, ch.invoke)
	ch.stream = chainStreamClient(ch.opts.stream, ch.newStream)
	return ch, nil
}

// Invoke performs a unary call, as grpc.ClientConn.Invoke does.
func (ch *Channel) Invoke(ctx context.Context, method string, args, reply any, opts ...grpc.CallOption) error {
	if ch.remote != nil {
		return ch.remote.Invoke(ctx, method, args, reply, opts...)
	}
	return ch.unary(ctx, method, args, reply, nil, opts...)
}

// NewStream begins a streaming call, as grpc.ClientConn.NewStream does.
func (ch *Channel) NewStream(ctx context.Context, desc *grpc.StreamDesc, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	if ch.remote != nil {
		return ch.remote.NewStream(ctx, desc, method, opts...)
	}
	return ch.stream(ctx, desc, ch2cc, method, opts...)
}

// ch2cc is the *grpc.ClientConn interceptors receive on the direct path:
// there is none.
var ch2cc *grpc.ClientConn

// unaryDesc describes a unary call as a stream.
var unaryDesc = grpc.StreamDesc{}

func (ch *Channel) invoke(ctx context.Context, method string, req, reply any, _ *grpc.ClientConn, opts ...grpc.CallOption) error {
	cs, err := ch.open(ctx, &unaryDesc, method, opts)
	if err != nil {
		return err
	}
	if err := cs.SendMsg(req); err != nil && err != io.EOF {
		return err
	}
	return cs.RecvMsg(reply)
}

func (ch *Channel) newStream(ctx context.Context, desc *grpc.StreamDesc, _ *grpc.ClientConn, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	cs, err := ch.open(ctx, desc, method, opts)
	if err != nil {
		return nil, err
	}
	return cs, nil
}

// open starts a call on the current connection, connecting first if
// needed.
func (ch *Channel) open(ctx context.Context, desc *grpc.StreamDesc, method string, opts []grpc.CallOption) (*clientStream, error) {
	ci, err := newCallInfo(ch.opts.callOpts, opts)
	if err != nil {
		return nil, err
	}
	for {
		d, err := ch.conn(ctx, ci.waitForReady)
		if err != nil {
			ci.finish(nil, nil, err)
			return nil, err
		}
		cs, err := newClientStream(ctx, d, desc, method, ci)
		if err == errDraining {
			continue // the next conn call dials anew
		}
		if err != nil {
			err = callError(ctx, err)
			ci.finish(nil, nil, err)
			return nil, err
		}
		return cs, nil
	}
}

// errClosing is the error of a call on a closed Channel, as grpc-go's.
var errClosing = status.Error(codes.Canceled, "grpc: the client connection is closing")

// conn returns a working connection, dialling (or waiting for the dial in
// progress) if needed.
func (ch *Channel) conn(ctx context.Context, waitForReady bool) (*clientConn, error) {
	for {
		ch.mu.Lock()
		if ch.closed {
			ch.mu.Unlock()
			return nil, errClosing
		}
		if d := ch.d; d != nil {
			if !d.broken() {
				ch.mu.Unlock()
				return d, nil
			}
			// A connection that worked broke: try again at once.
			ch.d, ch.attempts, ch.retryAt = nil, 0, time.Time{}
		}
		if wait := ch.dialing; wait != nil {
			ch.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return nil, status.FromContextError(ctx.Err()).Err()
			}
		}
		if delay := time.Until(ch.retryAt); delay > 0 {
			lastErr := ch.lastErr
			ch.mu.Unlock()
			if !waitForReady {
				return nil, status.Errorf(codes.Unavailable, "grpcshm: connection failed: %v", lastErr)
			}
			t := time.NewTimer(delay)
			select {
			case <-t.C:
				continue
			case <-ctx.Done():
				t.Stop()
				return nil, status.FromContextError(ctx.Err()).Err()
			}
		}
		done := make(chan struct{})
		ch.dialing = done
		ch.mu.Unlock()
		d, err := ch.dial()
		ch.mu.Lock()
		ch.dialing = nil
		close(done)
		if err != nil {
			ch.attempts++
			ch.lastErr, ch.retryAt = err, time.Now().Add(backoffDelay(ch.attempts))
			ch.mu.Unlock()
			if !waitForReady {
				return nil, status.Errorf(codes.Unavailable, "grpcshm: connection failed: %v", err)
			}
			continue
		}
		if ch.closed {
			ch.mu.Unlock()
			d.close(errClosing)
			return nil, errClosing
		}
		ch.d, ch.attempts = d, 0
		ch.mu.Unlock()
		return d, nil
	}
}

// connectTimeout bounds one connection attempt, as grpc-go's minimum
// connect timeout does.
const connectTimeout = 20 * time.Second

func (ch *Channel) dial() (*clientConn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
	defer cancel()
	// The direct path asks for DirectRingSize rings; the caller's options
	// come after, so theirs win.
	opts := append([]conn.Option{conn.WithRingSize(DirectRingSize)}, ch.opts.connOpts...)
	return dialDirect(ctx, ch.path, ch.opts.window, ch.opts.spin, opts)
}

// backoffDelay is gRPC's connection backoff after n failed attempts: 1 s,
// growing 1.6× per attempt up to 120 s, with ±20% jitter.
func backoffDelay(n int) time.Duration {
	d := float64(time.Second)
	for i := 1; i < n && d < float64(120*time.Second); i++ {
		d *= 1.6
	}
	d = min(d, float64(120*time.Second))
	return time.Duration(d * (0.8 + 0.4*rand.Float64()))
}

// Close closes the Channel: calls in flight fail with codes.Canceled, as
// on a closed grpc.ClientConn, and later calls fail at once.
func (ch *Channel) Close() error {
	if ch.remote != nil {
		return ch.remote.Close()
	}
	ch.mu.Lock()
	if ch.closed {
		ch.mu.Unlock()
		return errClosing
	}
	ch.closed = true
	d := ch.d
	ch.d = nil
	ch.mu.Unlock()
	if d != nil {
		d.close(errClosing)
	}
	return nil
}

var _ grpc.ClientConnInterface = (*Channel)(nil)
