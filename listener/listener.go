// Package listener accepts shared-memory connections on a Unix socket path.
// A Listener implements net.Listener, so grpc.Server.Serve, http.Serve and
// rpc.Accept serve over shared memory unchanged; each accepted net.Conn is a
// *conn.Conn.
//
// Unlike Tachyon's one-shot socket, a Listener accepts any number of clients
// over its lifetime. Each handshake runs off the Accept path with a timeout
// and a cap on how many run at once, so a slow or hostile client never stalls
// Accept, and a failed handshake is logged and dropped, never returned.
package listener

import (
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"time"

	"github.com/tachyon-ipc/tachyon-go/conn"
)

// Listener accepts shared-memory connections. Its methods are safe for
// concurrent use.
type Listener struct {
	path  string
	addr  *conn.Addr
	ul    *net.UnixListener
	info  os.FileInfo // the socket we bound, for a safe unlink
	cfg   config
	ready chan *conn.Conn // handshaken connections waiting for Accept

	ctx    context.Context // cancelled by Close: ends handshakes in flight
	cancel context.CancelFunc
	once   sync.Once
	wg     sync.WaitGroup // the accept loop and every handshake
}

// Listen binds the Unix socket at path (file mode 0600; a stale socket is
// replaced, a live listener's is refused with ErrAddrInUse) and starts
// accepting.
func Listen(path string, opts ...Option) (*Listener, error) {
	cfg, err := newConfig(opts)
	if err == nil {
		err = conn.ValidateOptions(cfg.connOpts...)
	}
	if err != nil {
		return nil, err
	}
	ul, info, err := bindSocket(path)
	if err != nil {
		return nil, &net.OpError{Op: "listen", Net: conn.Network, Addr: &conn.Addr{Path: path}, Err: err}
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := &Listener{
		path: path, addr: &conn.Addr{Path: path}, ul: ul, info: info, cfg: cfg,
		ready: make(chan *conn.Conn), ctx: ctx, cancel: cancel,
	}
	l.wg.Add(1)
	go l.acceptLoop()
	return l, nil
}

// acceptLoop accepts Unix connections and hands each to a handshake
// goroutine, at most cfg.maxHandshakes at once.
func (l *Listener) acceptLoop() {
	defer l.wg.Done()
	slots := make(chan struct{}, l.cfg.maxHandshakes)
	backoff := time.Millisecond
	for {
		select {
		case slots <- struct{}{}:
		case <-l.ctx.Done():
			return
		}
		uc, err := l.ul.AcceptUnix()
		if err != nil {
			<-slots
			if l.ctx.Err() != nil {
				return
			}
			// EMFILE and friends: back off instead of spinning.
			l.logf("accept failed", err, nil)
			select {
			case <-time.After(backoff):
			case <-l.ctx.Done():
				return
			}
			backoff = min(backoff*2, time.Second)
			continue
		}
		backoff = time.Millisecond
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			defer func() { <-slots }()
			l.handshake(uc)
		}()
	}
}

func (l *Listener) handshake(uc *net.UnixConn) {
	ctx, cancel := context.WithTimeout(l.ctx, l.cfg.handshakeTimeout)
	defer cancel()
	c, err := conn.Accept(ctx, uc, l.path, l.cfg.connOpts...)
	if err != nil {
		l.logf("handshake failed", err, uc)
		return
	}
	select {
	case l.ready <- c:
	case <-l.ctx.Done():
		c.Close()
	}
}

func (l *Listener) logf(msg string, err error, uc *net.UnixConn) {
	if l.cfg.logger == nil {
		return
	}
	attrs := []any{"path", l.path, "err", err}
	if uc != nil {
		attrs = append(attrs, "peer", uc.RemoteAddr())
	}
	l.cfg.logger.Warn("tachyon-go listener: "+msg, attrs...)
}

// Accept waits for the next connection whose handshake succeeded. After
// Close it returns a *net.OpError wrapping net.ErrClosed.
func (l *Listener) Accept() (net.Conn, error) { return l.AcceptConn() }

// AcceptConn is Accept returning the concrete type.
func (l *Listener) AcceptConn() (*conn.Conn, error) {
	select {
	case c := <-l.ready:
		return c, nil
	case <-l.ctx.Done():
		return nil, &net.OpError{Op: "accept", Net: conn.Network, Addr: l.addr, Err: net.ErrClosed}
	}
}

// Close stops accepting, ends handshakes in flight, removes the socket path
// (if it is still ours) and waits for the background goroutines. Connections
// already accepted stay open. A second Close returns net.ErrClosed.
func (l *Listener) Close() error {
	first := false
	l.once.Do(func() { first = true })
	if !first {
		return &net.OpError{Op: "close", Net: conn.Network, Addr: l.addr, Err: net.ErrClosed}
	}
	l.cancel()
	err := l.ul.Close()
	unlinkIfOurs(l.path, l.info)
	l.wg.Wait()
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return &net.OpError{Op: "close", Net: conn.Network, Addr: l.addr, Err: err}
	}
	return nil
}

// Addr returns the listener's address: network "shm", the socket path.
func (l *Listener) Addr() net.Addr { return l.addr }
