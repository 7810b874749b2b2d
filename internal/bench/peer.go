package bench

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/tachyon-ipc/tachyon-go/internal/peerproc"
	"github.com/tachyon-ipc/tachyon-go/internal/sys"
)

// Bounds on the control line and on a peer's life.
const (
	channelTimeout = 30 * time.Second // one setup or result message
	exitTimeout    = 15 * time.Second // a peer's exit once its traffic ended
	peerLifetime   = 15 * time.Minute // a peer's whole life, whatever happens
)

// envPeerCPUs carries Params.PeerCPUs to the peer process.
const envPeerCPUs = "TACHYON_BENCH_CPUS"

// RegisterRole declares a peer role. fn runs in the peer process with the
// control channel to the measuring process and a context that ends when the
// peer has lived too long. Call it from an init function.
func RegisterRole(name string, fn func(ctx context.Context, ch *Channel) error) {
	peerproc.Register(name, func([]string) error {
		if cpus, err := ParseCPUs(os.Getenv(envPeerCPUs)); err == nil && len(cpus) > 0 {
			PinProcess(cpus) // best effort, as for the measuring process
		}
		c, err := peerproc.Socket()
		if err != nil {
			return err
		}
		ch := &Channel{c: c, timeout: channelTimeout}
		defer ch.Close()
		ctx, cancel := context.WithTimeout(context.Background(), peerLifetime)
		defer cancel()
		go watchParent(ctx, cancel)
		return fn(ctx, ch)
	})
}

// Session is the measuring process's handle on one peer.
type Session struct {
	*Channel
	peer *peerproc.Peer
}

// StartPeer starts this binary in role, pinned as p asks, and sends it setup
// with fds as the first control message. The caller still owns fds.
func StartPeer(role string, p Params, setup any, fds ...int) (*Session, error) {
	opt := &peerproc.Options{
		// The peer dies with us (the kill follows the thread that forked
		// it, which the Go runtime keeps; the peer's lifetime bound and
		// our Close cover the rest).
		Attr: sys.DieWithParent(),
	}

	if len(p.PeerCPUs) > 0 {
		opt.Env = append(opt.Env, envPeerCPUs+"="+formatCPUs(p.PeerCPUs))
	}
	peer, c, err := peerproc.Start(role, nil, opt)
	if err != nil {
		return nil, err
	}
	s := &Session{Channel: &Channel{c: c, timeout: channelTimeout}, peer: peer}
	if err := s.Send(setup, fds...); err != nil {
		s.Close(err)
		return nil, fmt.Errorf("bench: setting up %s peer: %w", role, err)
	}
	return s, nil
}

// Close ends the session. After a failure (failed != nil) the peer is
// killed and failed returned; otherwise Close waits for the peer to exit
// and returns its error, if any.
func (s *Session) Close(failed error) error {
	s.Channel.Close()
	if failed != nil {
		s.peer.Kill()
		return failed
	}
	if err := s.peer.Wait(exitTimeout); err != nil {
		return fmt.Errorf("bench: peer: %w", err)
	}
	return nil
}

// Done is closed when the peer process has exited.
func (s *Session) Done() <-chan struct{} { return s.peer.Done() }

func formatCPUs(cpus []int) string {
	s := make([]string, len(cpus))
	for i, c := range cpus {
		s[i] = strconv.Itoa(c)
	}
	return strings.Join(s, ",")
}

// ParseCPUs parses a comma-separated CPU list such as "0,1".
func ParseCPUs(s string) ([]int, error) {
	if s == "" {
		return nil, nil
	}
	var cpus []int
	for f := range strings.SplitSeq(s, ",") {
		c, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || c < 0 {
			return nil, fmt.Errorf("bench: bad CPU number %q", f)
		}
		cpus = append(cpus, c)
	}
	return cpus, nil
}

// watchParent cancels the peer's context once the process that started it
// has gone (we are re-parented), so a spinning peer never outlives its run.
func watchParent(ctx context.Context, cancel func()) {
	ppid := os.Getppid()
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if os.Getppid() != ppid {
				cancel()
				return
			}
		}
	}
}
