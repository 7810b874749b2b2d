// Package listener accepts shared-memory connections on a Unix socket path.
// A Listener implements net.Listener, so grpc.Server.Serve, http.Serve and
// rpc.Accept serve over shared memory unchanged.
//
// A Listener is dual-stack by default: tachyon-go dialers get shared memory,
// and every other client of the socket (curl --unix-socket, grpcurl -unix,
// another language's gRPC client on unix:///path, nc -U) is served as a
// plain Unix-socket connection on the same path. The listener tells them
// apart without consuming a byte: it peeks at what the client sends first,
// and a tachyon-go dialer's hello opens with conn.HelloMagic. A client that
// waits for the server to speak first is served plainly after the
// server-first delay (WithServerFirstDelay, default DefaultServerFirstDelay).
// Accept returns both kinds: a shared-memory connection is a *conn.Conn
// whose RemoteAddr().Network() is "shm", a plain one the *net.UnixConn
// itself, network "unix"; conn.IsSharedMemory tells them apart.
// WithPlainClients(false) serves tachyon-go dialers only.
//
// Unlike Tachyon's one-shot socket, a Listener accepts any number of clients
// over its lifetime. Every client is accepted from the socket at once and
// its handshake runs off the Accept path: the client must send its session
// hello within a short hello timeout (conn.DefaultHelloTimeout) before
// anything is allocated for it, and finish within the handshake timeout.
// When more handshakes are in progress than the cap allows, the oldest is
// dropped, so a flood of clients that never finish cannot lock a good client
// out. A failed handshake is counted (Stats), logged (WithLogger) and
// dropped, never returned from Accept.
package listener

import (
	"container/list"
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
	ready chan *conn.Conn    // handshaken connections waiting for Accept or AcceptConn
	plain chan *net.UnixConn // plain clients waiting for Accept
	stats counters

	mu      sync.Mutex // guards pending
	pending list.List  // of *handshake, oldest first

	ctx    context.Context // cancelled by Close: ends handshakes in flight
	cancel context.CancelFunc
	once   sync.Once
	wg     sync.WaitGroup // the accept loop and every handshake
}

// handshake is one client whose handshake is in progress.
type handshake struct {
	uc      *net.UnixConn
	elem    *list.Element // in Listener.pending; nil once it left
	evicted bool          // dropped to make room; guarded by Listener.mu
}

// Listen binds the Unix socket at path (file mode 0600; a stale socket is
// replaced, a live listener's is refused with ErrAddrInUse) and starts
// accepting. A path starting with "@" is a Linux abstract socket name: no
// file, no file mode, the peer-credential check alone (see IsAbstract).
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
		ready: make(chan *conn.Conn), plain: make(chan *net.UnixConn), ctx: ctx, cancel: cancel,
	}
	l.wg.Add(1)
	go l.acceptLoop()
	return l, nil
}

// acceptLoop takes every client off the socket at once and starts its
// handshake.
func (l *Listener) acceptLoop() {
	defer l.wg.Done()
	backoff := time.Millisecond
	for {
		uc, err := l.ul.AcceptUnix()
		if err != nil {
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
		l.stats.accepted.Add(1)
		h := l.admit(uc)
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			l.handshake(h)
		}()
	}
}

// admit registers a new handshake, dropping the oldest one in progress if
// the cap is reached: a client that is still handshaking after cap newer
// clients arrived is a staller, while a good client finishes within
// microseconds of connecting.
func (l *Listener) admit(uc *net.UnixConn) *handshake {
	h := &handshake{uc: uc}
	l.mu.Lock()
	defer l.mu.Unlock()
	for l.pending.Len() >= l.cfg.maxHandshakes {
		old := l.pending.Remove(l.pending.Front()).(*handshake)
		old.elem, old.evicted = nil, true
		old.uc.Close() // its handshake fails at once
		l.stats.evicted.Add(1)
	}
	h.elem = l.pending.PushBack(h)
	return h
}

// leave takes h out of the handshakes in progress; it reports false if h
// was evicted meanwhile.
func (l *Listener) leave(h *handshake) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if h.evicted {
		return false
	}
	l.pending.Remove(h.elem)
	h.elem = nil
	return true
}

func (l *Listener) handshake(h *handshake) {
	if l.cfg.plainClients {
		switch kind, err := l.sniff(h.uc); kind {
		case openedOther, openedSilent:
			if kind == openedOther || l.cfg.serverFirst > 0 {
				l.servePlain(h)
				return
			}
			err = conn.ErrNoHello
			fallthrough
		case openedGone:
			if !l.leave(h) {
				l.logf("handshake dropped to make room for newer clients", errEvicted, nil)
				return
			}
			h.uc.Close()
			l.stats.count(err)
			l.logf("handshake failed", err, h.uc)
			return
		}
	}
	ctx, cancel := context.WithTimeout(l.ctx, l.cfg.handshakeTimeout)
	defer cancel()
	c, err := conn.Accept(ctx, h.uc, l.path, l.cfg.connOpts...)
	if !l.leave(h) {
		if c != nil {
			c.Close()
		}
		l.logf("handshake dropped to make room for newer clients", errEvicted, nil)
		return
	}
	if err != nil {
		l.stats.count(err)
		l.logf("handshake failed", err, h.uc)
		return
	}
	l.stats.handshaken.Add(1)
	select {
	case l.ready <- c:
	case <-l.ctx.Done():
		c.Close()
	}
}

// servePlain hands a client that is not a tachyon-go dialer to Accept as
// the Unix-socket connection it is: nothing was read from it.
func (l *Listener) servePlain(h *handshake) {
	if !l.leave(h) {
		l.logf("handshake dropped to make room for newer clients", errEvicted, nil)
		return
	}
	l.stats.plain.Add(1)
	select {
	case l.plain <- h.uc:
	case <-l.ctx.Done():
		h.uc.Close()
	}
}

// errEvicted is logged for a handshake dropped by WithMaxHandshakes.
var errEvicted = errors.New("listener: too many handshakes in progress; dropped the oldest")

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

// Accept waits for the next connection: a *conn.Conn whose handshake
// succeeded, or a plain client's *net.UnixConn (see the package doc;
// conn.IsSharedMemory tells them apart). After Close it returns a
// *net.OpError wrapping net.ErrClosed.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ready:
		return c, nil
	case uc := <-l.plain:
		return uc, nil
	case <-l.ctx.Done():
		return nil, l.closedError()
	}
}

// AcceptConn waits for the next shared-memory connection. Plain clients
// wait for Accept: use AcceptConn alone on a listener made with
// WithPlainClients(false).
func (l *Listener) AcceptConn() (*conn.Conn, error) {
	select {
	case c := <-l.ready:
		return c, nil
	case <-l.ctx.Done():
		return nil, l.closedError()
	}
}

func (l *Listener) closedError() error {
	return &net.OpError{Op: "accept", Net: conn.Network, Addr: l.addr, Err: net.ErrClosed}
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
