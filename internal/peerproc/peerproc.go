// Package peerproc re-executes the running binary as a peer process, so
// tests, benchmarks and tachyon-bench exercise shared memory across real
// process boundaries.
//
// A binary declares the roles it can play with Register and calls Run first
// thing (in TestMain, or at the top of main). Start launches a copy of the
// binary in a role, connected to the caller by a Unix socketpair on which
// descriptors can travel with SCM_RIGHTS.
package peerproc

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tachyon-ipc/tachyon-go/internal/sys"
)

const (
	envRole = "TACHYON_GO_PEER_ROLE"
	envArgs = "TACHYON_GO_PEER_ARGS"
)

var (
	mu    sync.Mutex
	roles = map[string]func(args []string) error{}
)

// Register declares that this binary can play role. fn runs in the peer
// process with the arguments given to Start; its error, if any, is printed
// and makes the peer exit with status 1.
func Register(role string, fn func(args []string) error) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := roles[role]; dup {
		panic("peerproc: role registered twice: " + role)
	}
	roles[role] = fn
}

// Run plays the requested role and exits if this process was started by
// Start; otherwise it returns at once.
func Run() {
	role, ok := os.LookupEnv(envRole)
	if !ok {
		return
	}
	mu.Lock()
	fn := roles[role]
	mu.Unlock()
	if fn == nil {
		fmt.Fprintf(os.Stderr, "peerproc: unknown role %q\n", role)
		os.Exit(2)
	}
	var args []string
	if a := os.Getenv(envArgs); a != "" {
		args = strings.Split(a, "\x1f")
	}
	if err := fn(args); err != nil {
		fmt.Fprintf(os.Stderr, "peerproc: role %s: %v\n", role, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// IsPeer reports whether this process runs as a peer.
func IsPeer() bool {
	_, ok := os.LookupEnv(envRole)
	return ok
}

// Socket returns the peer's end of the socketpair Start made. It is only
// meaningful inside a role.
func Socket() (*net.UnixConn, error) {
	f := os.NewFile(3, "peerproc-socket")
	defer f.Close()
	c, err := net.FileConn(f)
	if err != nil {
		return nil, fmt.Errorf("peerproc: socket: %w", err)
	}
	return c.(*net.UnixConn), nil
}

// Peer is a running peer process.
type Peer struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error // valid after done is closed
}

// Options tunes Start.
type Options struct {
	Output io.Writer            // the peer's stdout and stderr; default os.Stderr
	Env    []string             // extra KEY=VALUE pairs
	Attr   *syscall.SysProcAttr // e.g. a Credential to run under another uid
}

// Start launches this binary in role with args, and returns the peer and our
// end of a Unix socketpair whose other end the peer gets from Socket.
func Start(role string, args []string, opt *Options) (*Peer, *net.UnixConn, error) {
	if opt == nil {
		opt = &Options{}
	}
	a, b, err := sys.SocketPair()
	if err != nil {
		return nil, nil, fmt.Errorf("peerproc: %w", err)
	}
	ours := os.NewFile(uintptr(a), "peerproc-ours")
	theirs := os.NewFile(uintptr(b), "peerproc-theirs")
	defer theirs.Close()
	defer ours.Close()
	c, err := net.FileConn(ours) // dups, so ExtraFiles cannot change our description
	if err != nil {
		return nil, nil, fmt.Errorf("peerproc: %w", err)
	}
	exe, err := os.Executable()
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), envRole+"="+role, envArgs+"="+strings.Join(args, "\x1f"), raceEnv())
	cmd.Env = append(cmd.Env, opt.Env...) // later entries win: the caller may override

	out := opt.Output
	if out == nil {
		out = os.Stderr
	}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.ExtraFiles = []*os.File{theirs}
	cmd.SysProcAttr = opt.Attr
	if err := cmd.Start(); err != nil {
		c.Close()
		return nil, nil, fmt.Errorf("peerproc: start %s: %w", role, err)
	}
	p := &Peer{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, c.(*net.UnixConn), nil
}

// raceEnv keeps the caller's race-detector options for the peer but drops
// the race runtime's one-second sleep at exit (atexit_sleep_ms defaults to
// 1000 in -race binaries), which would otherwise add a second to every peer.
// It is harmless in binaries built without -race.
func raceEnv() string {
	g := os.Getenv("GORACE")
	if strings.Contains(g, "atexit_sleep_ms") {
		return "GORACE=" + g
	}
	return "GORACE=" + strings.TrimSpace(g+" atexit_sleep_ms=0")
}

// ErrTimeout is returned by Wait when the peer outlived its bound.
var ErrTimeout = errors.New("peerproc: peer did not exit in time")

// Wait waits at most timeout for the peer to exit and returns its exit
// error. On timeout the peer is killed and ErrTimeout returned.
func (p *Peer) Wait(timeout time.Duration) error {
	select {
	case <-p.done:
		return p.err
	case <-time.After(timeout):
		p.Kill()
		<-p.done
		return ErrTimeout
	}
}

// Kill sends SIGKILL to the peer (if it still runs) and reaps it.
func (p *Peer) Kill() {
	p.cmd.Process.Kill()
	<-p.done
}

// Signal sends sig to the peer without waiting.
func (p *Peer) Signal(sig os.Signal) error { return p.cmd.Process.Signal(sig) }

// Pid returns the peer's process id.
func (p *Peer) Pid() int { return p.cmd.Process.Pid }

// Done is closed when the peer has exited.
func (p *Peer) Done() <-chan struct{} { return p.done }

// readyByte is what a role writes on its socket once it is ready (see
// Announce and StartReady).
const readyByte = 1

// Announce is for roles that serve until the test is done: it tells the
// starter (StartReady) that the role is ready and returns the socket, on
// which AwaitHangup then waits.
func Announce() (*net.UnixConn, error) {
	c, err := Socket()
	if err != nil {
		return nil, err
	}
	if _, err := c.Write([]byte{readyByte}); err != nil {
		c.Close()
		return nil, fmt.Errorf("peerproc: announcing readiness: %w", err)
	}
	return c, nil
}

// AwaitHangup blocks until the starter closes its end of the socket or dies,
// then closes ours.
func AwaitHangup(c *net.UnixConn) {
	var b [64]byte
	for {
		if _, err := c.Read(b[:]); err != nil {
			break
		}
	}
	c.Close()
}

// StartReady is Start for a role that calls Announce: it waits at most
// timeout for the role to say it is ready. On failure the peer is killed.
func StartReady(role string, args []string, opt *Options, timeout time.Duration) (*Peer, *net.UnixConn, error) {
	p, c, err := Start(role, args, opt)
	if err != nil {
		return nil, nil, err
	}
	c.SetReadDeadline(time.Now().Add(timeout))
	var b [1]byte
	if _, err := io.ReadFull(c, b[:]); err != nil || b[0] != readyByte {
		c.Close()
		p.Kill()
		if err == nil {
			err = fmt.Errorf("unexpected byte %d", b[0])
		}
		return nil, nil, fmt.Errorf("peerproc: %s did not get ready: %w", role, err)
	}
	c.SetReadDeadline(time.Time{})
	return p, c, nil
}
